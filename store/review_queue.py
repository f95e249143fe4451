"""The triage queue in the order a dispatcher works it: possible emergencies not settled yet pinned on top (also
when nothing else sends them to triage: intake/pipeline/safety_net.py), then most urgent first, then the SLA clock
that runs out first, then the oldest. `tickets list --review` and the demo read it; the pipeline never does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import Session

from intake.core.vocabulary import URGENCY_LEVELS
from store.models import Ticket

# urgent 0, high 1, standard 2, low 3; no urgency (not classified) after them all
URGENCY_RANK = {level: rank for rank, level in enumerate(URGENCY_LEVELS)}

_FIRST_RESPONSE_RUNS = and_(Ticket.first_response_due.is_not(None), Ticket.first_response_at.is_(None))
_RESOLUTION_RUNS = and_(Ticket.resolution_due.is_not(None), Ticket.resolved_at.is_(None))
# The earliest due time of a clock still running (first response not given yet, not resolved yet), else NULL.
NEXT_DUE = case(
    (
        and_(_FIRST_RESPONSE_RUNS, or_(~_RESOLUTION_RUNS, Ticket.first_response_due <= Ticket.resolution_due)),
        Ticket.first_response_due,
    ),
    (_RESOLUTION_RUNS, Ticket.resolution_due),
    else_=None,
)
URGENCY_ORDER = case(URGENCY_RANK, value=Ticket.urgency, else_=len(URGENCY_RANK))
PINNED = Ticket.emergency_state == "open"  # flagged possible emergency, nobody confirmed or cleared it yet


def next_due(ticket: Ticket) -> datetime | None:
    """The earliest due time of the ticket's SLA clocks that still run (the Python twin of `NEXT_DUE`)."""
    running = [
        due
        for due, done in (
            (ticket.first_response_due, ticket.first_response_at),
            (ticket.resolution_due, ticket.resolved_at),
        )
        if due is not None and done is None
    ]
    return min(running, default=None)


def review_queue(session: Session, status: str | None = None, limit: int = 200) -> list[Ticket]:
    """Tickets waiting in triage and unsettled possible emergencies: those pinned first, then by urgency, the
    next SLA due time (none last) and age (oldest first)."""
    query = (
        select(Ticket)
        .where(or_(Ticket.needs_review.is_(True), PINNED))
        .order_by(
            case((PINNED, 0), else_=1), URGENCY_ORDER, NEXT_DUE.is_(None), NEXT_DUE, Ticket.created_at, Ticket.number
        )
        .limit(limit)
    )
    if status:
        query = query.where(Ticket.status == status)
    return list(session.execute(query).scalars())
