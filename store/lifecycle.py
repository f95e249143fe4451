"""Ticket lifecycle: which status may follow which. Every change goes through `check_transition`."""

from __future__ import annotations

from intake.core.vocabulary import OPEN_STATUSES, TicketStatus
from store.errors import IllegalTransition

S = TicketStatus
ALLOWED: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.NEW: frozenset({S.TRIAGED, S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED, S.CANCELLED}),
    S.TRIAGED: frozenset({S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED, S.CANCELLED}),
    S.ASSIGNED: frozenset({S.TRIAGED, S.ASSIGNED, S.IN_PROGRESS, S.PENDING, S.RESOLVED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.ASSIGNED, S.PENDING, S.RESOLVED, S.CANCELLED}),
    S.PENDING: frozenset({S.IN_PROGRESS, S.ASSIGNED, S.RESOLVED, S.CANCELLED}),
    S.RESOLVED: frozenset({S.CLOSED, S.ASSIGNED, S.IN_PROGRESS}),  # back to work = reopen
    S.CLOSED: frozenset({S.ASSIGNED}),  # reopen
    S.CANCELLED: frozenset({S.NEW}),  # reopen
    S.MERGED: frozenset(),
}
MERGEABLE = frozenset({S.NEW, S.TRIAGED, S.ASSIGNED, S.IN_PROGRESS, S.PENDING, S.RESOLVED, S.CLOSED})  # only by
# `intake tickets merge` (store.tickets.mark_merged), never a plain status change: the messages must move too


def check_transition(current: str, target: str) -> TicketStatus:
    """Return the target status, or raise IllegalTransition saying what is allowed from `current`."""
    try:
        source, goal = TicketStatus(current), TicketStatus(target)
    except ValueError as exc:
        raise IllegalTransition(f"unknown status: {exc}") from None
    if goal not in ALLOWED[source]:
        allowed = ", ".join(sorted(ALLOWED[source])) or "nothing"
        raise IllegalTransition(f"a {source} ticket cannot become {goal} (allowed: {allowed})")
    return goal


def is_reopen(current: str, target: str) -> bool:
    return TicketStatus(current) in {S.RESOLVED, S.CLOSED, S.CANCELLED} and TicketStatus(target) in OPEN_STATUSES
