"""What the engine reads: a ticket's facts and the team workload, built from the store (`assignment.ticket_facts`,
`assignment.workload`).

Both are plain data so a decision can be replayed (`rules diff`) from stored tickets alone.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field


class Pause(BaseModel):
    """A stretch of time the ticket spent in a status; only those sla.yaml says pause stop the clock."""

    status: str
    start: AwareDatetime
    end: AwareDatetime | None = None  # None: still in that status
    waiting_on: str | None = None  # for pending: what the ticket waits on (sla.yaml `waiting_on`), if staff said


class TicketFacts(BaseModel):
    """Everything rules may look at, as classified. `confidence` is the overall one (min of the fields)."""

    number: str | None = None
    channel: str = "email"
    category: str | None = None
    subcategory: str | None = None
    urgency: str | None = None
    property_id: str | None = None
    unit: str | None = None
    billing_type: str | None = None  # guarantee / sla / billable
    contract: str | None = None  # the service contract in force on the ticket's date (registry), e.g. HBR-2026-01-01
    contract_status: str = "none"  # active / expired / upcoming / none: the property's contract on that date
    hazards: list[str] = Field(default_factory=list)  # the classifier's hazards (urgency.yaml names), active ones
    signals: list[str] = Field(default_factory=list)  # what else it noticed (assignment.vocabulary.SIGNALS)
    confidence: float = 1.0
    needs_review: bool = False
    text: str = ""
    subject: str | None = None
    sender: str | None = None
    status: str = "new"
    priority: str | None = None
    assignee: str | None = None
    team: str | None = None
    created_at: AwareDatetime  # times are always time-zone aware: SLA clocks run in the calendar's zone
    first_response_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    pauses: list[Pause] = Field(default_factory=list)


class Workload(BaseModel):
    """Open tickets per person and the round-robin cursor per pool; the caller persists the new cursors."""

    open_tickets: dict[str, int] = Field(default_factory=dict)
    round_robin: dict[str, int] = Field(default_factory=dict)
