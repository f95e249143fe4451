"""SLA timers in the store. The due time of every escalation timer is a row in `sla_timers` (the source of
truth: Redis keeps nothing on disk). A timer due within `HORIZON` gets a delayed `check_sla` message, sent after
the commit; later ones are armed the same way by the periodic sweeper when they come within the horizon, so no
worker holds a message for hours and a lost message is re-sent from the row. Scheduling again (pause, resume,
answer, reassign) updates the rows, so it is idempotent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from assignment.engine import RuleEngine
from assignment.sla import SlaPlan
from assignment.ticket_facts import stored_facts, ticket_waiting_on
from intake.core.after_commit import AfterCommit, Kind
from intake.core.vocabulary import DONE_STATUSES
from store import tickets as ticket_store
from store.models import SlaTimer, Ticket

log = logging.getLogger(__name__)

SCHEDULED, FIRED, CANCELLED, SKIPPED = "scheduled", "fired", "cancelled", "skipped"
HORIZON = timedelta(seconds=90)  # more than the sweep interval, so the sweeper arms every timer in time


def is_ticket_paused(ticket: Ticket, engine: RuleEngine) -> bool:
    """Whether the ticket's SLA clocks are stopped now, by its status and what it waits on."""
    return engine.sla.pause_statuses.stops(ticket.status, ticket_waiting_on(ticket))


def delay_ms(due_at: datetime, now: datetime) -> int:
    return max(0, int((due_at - now).total_seconds() * 1000))


def check_message(row: SlaTimer, now: datetime) -> AfterCommit:
    """The delayed broker message that makes this timer fire at its due time."""
    return AfterCommit(Kind.CHECK_SLA, (row.ticket_id, row.kind, row.due_at.isoformat()), delay_ms(row.due_at, now))


def arm(row: SlaTimer, now: datetime) -> list[AfterCommit]:
    """The delayed message for a timer due within the horizon (recording that it was sent); else nothing."""
    if row.due_at > now + HORIZON:
        return []
    row.sent_at = now
    return [check_message(row, now)]


_TIMERS_OF = select(SlaTimer).where(SlaTimer.ticket_id == bindparam("ticket_id"))


def schedule_timers(
    session: Session, ticket: Ticket, engine: RuleEngine, plan: SlaPlan, now: datetime, *, new_ticket: bool = False
) -> list[AfterCommit]:
    """Store one row per escalation timer of `plan` and return the messages to send once committed
    (`new_ticket`: created in this transaction, so it has no timer rows yet).

    A timer that already fired is never re-armed (it acts once); timers that no longer apply (answered,
    paused, resolved, assigned) are cancelled; unchanged scheduled timers are not sent again."""
    if ticket.id is None:
        session.flush()
    facts = stored_facts(ticket)
    wanted = (
        [] if ticket.status in DONE_STATUSES else engine.timers(facts, plan, assigned=bool(ticket.assignee), now=now)
    )
    rows = (
        {}
        if new_ticket
        else {(r.kind, r.level): r for r in session.execute(_TIMERS_OF, {"ticket_id": ticket.id}).scalars()}
    )
    messages, keep = [], set()
    for timer in wanted:
        key = (timer.kind, timer.level or 0)
        keep.add(key)
        row = rows.get(key)
        action = timer.action.model_dump(mode="json")
        if row is None:
            row = SlaTimer(
                ticket_id=ticket.id,
                kind=timer.kind,
                target=timer.target,
                level=timer.level or 0,
                due_at=timer.due_at,
                action=action,
                state=SCHEDULED,
            )
            session.add(row)
        elif row.state == FIRED or (row.state == SCHEDULED and row.due_at == timer.due_at):
            continue
        else:
            row.due_at, row.action, row.state, row.outcome = timer.due_at, action, SCHEDULED, None
        row.sent_at = None
        messages += arm(row, now)
    why = _why_cancelled(ticket, engine)
    for key, row in rows.items():
        if key not in keep and row.state == SCHEDULED:
            row.state, row.outcome = CANCELLED, why
    return messages


def cancel_timers(session: Session, ticket: Ticket, why: str) -> list[AfterCommit]:
    """Cancel the ticket's scheduled timers (a message still on its way then finds them cancelled); nothing to send."""
    for row in session.execute(_TIMERS_OF, {"ticket_id": ticket.id}).scalars():
        if row.state == SCHEDULED:
            row.state, row.outcome = CANCELLED, why
    return []


def _why_cancelled(ticket: Ticket, engine: RuleEngine) -> str:
    if ticket.status in DONE_STATUSES:
        return f"ticket {ticket.status}"
    if is_ticket_paused(ticket, engine):
        return f"clock paused ({engine.sla.pause_statuses.describe(ticket.status, ticket_waiting_on(ticket))}); re-planned on resume"
    return "no longer applies (answered, assigned or re-planned)"


def replan(
    session: Session, ticket: Ticket, engine: RuleEngine, now: datetime, *, actor: str, why: str | None = None
) -> list[AfterCommit]:
    """After a status change, answer, reassignment, follow-up or reopen: new due times (pauses honoured) and
    timers. `why` goes into the timeline. A resolved, closed or cancelled ticket runs no clock: its due times
    stay as they were when it finished (no new ones on the timeline) and its scheduled timers are cancelled;
    reopening it re-plans from sla.yaml, the finished stretch not counted (assignment.pauses)."""
    if ticket.status in DONE_STATUSES:
        return cancel_timers(session, ticket, f"ticket {ticket.status}")
    plan = engine.sla_plan(stored_facts(ticket), ticket.created_at)
    ticket_store.set_fields(
        session,
        ticket,
        {"first_response_due": plan.first_response_due, "resolution_due": plan.resolution_due},
        actor=actor,
        at=now,
        reason="SLA due times re-planned"
        + (f": {why}" if why else "")
        + f" ({plan.priority} targets)"
        + (" (clock paused)" if plan.resolution_due is None else ""),
    )
    return schedule_timers(session, ticket, engine, plan, now)
