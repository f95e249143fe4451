"""What the SLA actors do, as plain functions of a Runtime: fire a stored timer (re-checking the ticket first),
carry out an escalation, and sweep timers whose broker message was lost (routing after triage: assignment.routing).

Every function is idempotent: a timer row moves scheduled → fired/skipped once, under a lock, so a duplicate
message, a re-sent one and the sweeper can all arrive for the same timer and it still acts once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from assignment.engine import RuleEngine
from assignment.escalation import EscalationAction, Timer
from assignment.ticket_facts import stored_facts, ticket_waiting_on
from assignment.timers import (
    CANCELLED,
    FIRED,
    HORIZON,
    SCHEDULED,
    SKIPPED,
    arm,
    is_ticket_paused,
    replan,
)
from intake.core.after_commit import AfterCommit, Kind, send_after_commit
from intake.core.vocabulary import DONE_STATUSES
from store import tickets as ticket_store
from store.models import SlaTimer, Ticket

log = logging.getLogger(__name__)
SWEEP_GRACE = timedelta(seconds=60)  # a due timer this late is taken as lost in the broker


def find_timer(runtime, ticket_id: str, kind: str, due_at: str | datetime) -> int | None:
    """The stored timer a `check_sla(ticket_id, kind, due_at)` message refers to: the row of that kind whose due
    time is still `due_at`. A message for a timer re-planned since (pause, resume, new priority) finds nothing,
    so it does nothing; the row's current message or the sweeper fires it at its new time."""
    due = datetime.fromisoformat(due_at) if isinstance(due_at, str) else due_at
    with runtime.db.session() as session:
        rows = session.execute(
            select(SlaTimer.id, SlaTimer.due_at).where(SlaTimer.ticket_id == ticket_id, SlaTimer.kind == kind)
        ).all()
    return next((timer_id for timer_id, row_due in rows if row_due == due), None)


def fire_timer(runtime, timer_id: int) -> str:
    """Fire one stored timer if it is due and its condition still holds; returns what happened."""
    messages: list[AfterCommit] = []
    with runtime.db.locked() as session:
        row = session.get(SlaTimer, timer_id, with_for_update=True)
        if row is None:
            return "missing"
        if row.state != SCHEDULED:
            return f"already {row.state}"
        now = runtime.clock()
        if row.due_at > now:
            return "not due yet"  # an early or stale message: the current one or the sweeper comes back
        ticket = session.get(Ticket, row.ticket_id)
        engine = runtime.rules().current()
        facts = stored_facts(ticket)
        timer = Timer(
            kind=row.kind,
            due_at=row.due_at,
            level=row.level or None,
            target=row.target,
            action=EscalationAction.model_validate(row.action),
        )
        action = engine.action_for(timer, facts, now)
        if action is None:
            reason = _why_not(ticket, row, engine)
            if reason is None:  # the deadline moved later (a pause): plan the timers again
                row.state, row.outcome = CANCELLED, "deadline moved by a pause; re-planned"
                messages = replan(session, ticket, engine, now, actor="sla")
                outcome = "re-planned"
            else:
                row.state, row.outcome, outcome = SKIPPED, reason, f"skipped: {reason}"
        else:
            row.state, row.fired_at, row.outcome = FIRED, now, action.reason
            escalate(session, ticket, engine, action, now)
            outcome = f"fired {row.kind}"
        number = ticket.number
    send_after_commit(messages, number)
    log.info("ticket %s: timer %s %s", number, timer_id, outcome)
    return outcome


def _why_not(ticket: Ticket, row: SlaTimer, engine: RuleEngine) -> str | None:
    """Why a due timer does nothing now, or None when only its deadline moved."""
    if ticket.status in DONE_STATUSES:
        return f"ticket {ticket.status}"
    if is_ticket_paused(ticket, engine):
        return f"clock paused ({engine.sla.pause_statuses.describe(ticket.status, ticket_waiting_on(ticket))})"
    if row.target == "first_response" and ticket.first_response_at is not None:
        return "answered"
    if row.target == "unassigned" and ticket.assignee:
        return f"assigned to {ticket.assignee}"
    return None


def actor_of(action: EscalationAction) -> str:
    """The timeline actor of an escalation step: its level (`escalation-L2`) or its kind."""
    return f"escalation-L{action.level}" if action.level else f"escalation-{action.kind.replace('_', '-')}"


def escalate(session: Session, ticket: Ticket, engine: RuleEngine, action: EscalationAction, now: datetime) -> None:
    """Carry out an escalation step: timeline event, notifications requested, reassignment (person or team)."""
    actor = actor_of(action)
    ticket_store.add_event(
        session,
        ticket,
        "sla-escalated",
        actor=actor,
        changes={"timer": action.kind, "level": action.level},
        reason=action.reason,
        at=now,
    )
    for target in dict.fromkeys(action.notify):  # a lead who is also the supervisor hears once
        kind = "person" if target in engine.people else "team"
        ticket_store.add_event(
            session,
            ticket,
            "notification-requested",
            actor=actor,
            changes={"target": target, "kind": kind, "timer": action.kind},
            reason=action.reason,
            at=now,
        )
    if action.reassign:
        if action.reassign in engine.teams:
            values = {"team": action.reassign, "assignee": None}
        else:
            values = {"assignee": action.reassign, "team": engine._team_of(action.reassign) or ticket.team}
        ticket_store.set_fields(session, ticket, values, actor=actor, at=now, reason=f"reassigned: {action.reason}")


def sweep_due_timers(runtime, grace: timedelta = SWEEP_GRACE) -> list[int]:
    """Arm timers coming due within the horizon, and re-send those due (by `grace`) whose message was lost
    (still scheduled though sent before). Returns the ids of the timers sent."""
    now = runtime.clock()
    cutoff = now - grace
    with runtime.db.session() as session:
        rows = (
            session.execute(
                select(SlaTimer)
                .where(
                    SlaTimer.state == SCHEDULED,
                    or_(
                        and_(SlaTimer.sent_at.is_(None), SlaTimer.due_at <= now + HORIZON),
                        and_(SlaTimer.due_at <= cutoff, SlaTimer.sent_at <= cutoff),
                    ),
                )
                .order_by(SlaTimer.due_at)
                .limit(1000)
            )
            .scalars()
            .all()
        )
        lost = [row.id for row in rows if row.sent_at is not None]
        messages = [message for row in rows for message in (arm(row, now) if row.sent_at is None else [])]
        for row in rows:
            if row.id in lost:
                row.sent_at = now
                messages.append(AfterCommit(Kind.ESCALATE, (row.id,)))
        ids = [row.id for row in rows]
    send_after_commit(messages, "sweep")
    if lost:
        log.warning("re-sent %d due SLA timer(s) whose broker message was lost: %s", len(lost), lost)
    return ids
