"""Routing a ticket by the rules after it was handed back to them (`assign_ticket`): a dispatcher finished its
triage, or `tickets unlink` cleared the follow-up link it waited in triage for; and the sweeper that finds such
tickets whose routing message the broker lost (Redis keeps nothing on disk; a command on the in-process broker
may exit before its worker ran).

Exactly once: a ticket counts as routed once a `rules-evaluated` event follows its last hand-back (its move to
`triaged`, or an `unlinked` event marked `routing: rules`); both the actor and the sweeper check that under the
ticket's row lock, so a duplicate or re-sent message acts once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from assignment.apply import apply_decision
from assignment.ticket_facts import stored_facts
from assignment.timers import replan
from assignment.workload import current_workload
from intake.core.after_commit import AfterCommit, Kind, send_after_commit
from intake.core.vocabulary import ROUTABLE_STATUSES
from store.models import Ticket, TicketEvent

log = logging.getLogger(__name__)
SWEEP_GRACE = timedelta(seconds=60)  # a triage finished this long ago and still unrouted lost its message
BACK_TO_RULES = {"routing": "rules"}  # in an `unlinked` event's changes: the ticket went back to the rules


def _order(event) -> tuple:
    return event.at, event.id or 0


def is_awaiting_routing(ticket: Ticket) -> bool:
    """Whether the rules still have to route this ticket: nobody is on it, and no rules evaluation followed its
    last hand-back (a ticket set to triaged without that event is routed while nobody is on it)."""
    if ticket.assignee or ticket.status not in ROUTABLE_STATUSES:
        return False
    return routing_after_triage(ticket) is None


def routing_after_triage(ticket: Ticket):
    """The `rules-evaluated` event that routed the ticket after its last hand-back to the rules, or None."""
    handed = last_hand_back(ticket)
    if handed is None:
        return None
    evaluated = [e for e in ticket.events if e.kind == "rules-evaluated" and _order(e) > _order(handed)]
    return max(evaluated, key=_order, default=None)


def last_hand_back(ticket: Ticket):
    """The ticket's last move to `triaged` or unlink that sent it back to the rules, or None."""
    moves = [e for e in ticket.events if _is_hand_back(e)]
    return max(moves, key=_order, default=None)


def _is_hand_back(event) -> bool:
    changes = event.changes or {}
    if event.kind == "status-changed":
        return (changes.get("status") or {}).get("to") == "triaged"
    return event.kind == "unlinked" and BACK_TO_RULES.items() <= changes.items()


def assign_ticket(runtime, ticket_id: str) -> str:
    """Run the assignment rules for a ticket awaiting routing (e.g. after triage); a no-op otherwise."""
    with runtime.db.locked() as session:
        ticket = session.get(Ticket, ticket_id, with_for_update=True)
        if ticket is None or not is_awaiting_routing(ticket):
            return "nothing to do"
        now, engine = runtime.clock(), runtime.rules().current()
        text = ticket.messages[0].text if ticket.messages else ""
        decision = engine.decide(stored_facts(ticket, text), current_workload(session), now)
        apply_decision(session, ticket, decision, now)
        messages = replan(session, ticket, engine, now, actor="sla")
        number, outcome = ticket.number, f"team {ticket.team}, assignee {ticket.assignee}"
    send_after_commit(messages, number)
    log.info("ticket %s: routed by the rules: %s", number, outcome)
    return outcome


def sweep_unrouted(runtime, grace: timedelta = SWEEP_GRACE) -> list[str]:
    """Send `assign_ticket` again for tickets handed back to the rules (triaged, or unlinked out of triage with
    nobody on them) still awaiting routing `grace` after their last change (their message was lost); returns
    their ids. Harmless when the first message is merely slow."""
    cutoff = runtime.clock() - grace
    unlinked = select(TicketEvent.id).where(TicketEvent.ticket_id == Ticket.id, TicketEvent.kind == "unlinked")
    handed_back = or_(
        Ticket.status == "triaged",
        and_(
            Ticket.status.in_(sorted(ROUTABLE_STATUSES)),
            Ticket.needs_review.is_(False),
            Ticket.team.is_(None),
            unlinked.exists(),
        ),
    )
    with runtime.db.session() as session:
        candidates = (
            session.execute(
                select(Ticket)
                .where(handed_back, Ticket.assignee.is_(None), Ticket.updated_at <= cutoff)
                .order_by(Ticket.updated_at)
                .limit(500)
                .options(selectinload(Ticket.events))
            )
            .scalars()
            .all()
        )
        lost = [
            ticket.id
            for ticket in candidates
            if is_awaiting_routing(ticket) and (ticket.status == "triaged" or last_hand_back(ticket) is not None)
        ]
        numbers = [ticket.number for ticket in candidates if ticket.id in lost]
    send_after_commit([AfterCommit(Kind.ASSIGN_TICKET, (ticket_id,)) for ticket_id in lost], "sweep")
    if lost:
        log.warning("re-sent routing of %d ticket(s) whose broker message was lost: %s", len(lost), numbers)
    return lost
