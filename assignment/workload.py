"""The team's workload as the store knows it: open tickets per person and the round-robin positions, which the
engine reads to pick a person; and saving the positions a decision moved."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assignment.decision import Decision
from assignment.facts import Workload
from intake.core.vocabulary import OPEN_STATUSES
from store.cursors import get_cursor, set_cursor
from store.models import Cursor, Ticket

RR_PREFIX = "round-robin:"

_OPEN_COUNTS = (
    select(Ticket.assignee, func.count())
    .where(Ticket.assignee.is_not(None), Ticket.status.in_([s.value for s in OPEN_STATUSES]))
    .group_by(Ticket.assignee)
)
_RR_CURSORS = select(Cursor.name, Cursor.value).where(Cursor.name.like(f"{RR_PREFIX}%"))


def current_workload(session: Session) -> Workload:
    """Open tickets per person, and the round-robin positions, as the store knows them now."""
    return Workload(open_tickets=open_ticket_counts(session), round_robin=round_robin_positions(session))


def open_ticket_counts(session: Session) -> dict[str, int]:
    return {person: n for person, n in session.execute(_OPEN_COUNTS)}


def round_robin_positions(session: Session) -> dict[str, int]:
    return {name[len(RR_PREFIX) :]: int(value) for name, value in session.execute(_RR_CURSORS)}


def save_round_robin(session: Session, decision: Decision) -> None:
    """Store the round-robin positions the decision moved (only those that changed are written)."""
    for pool, position in decision.round_robin_cursors.items():
        if get_cursor(session, RR_PREFIX + pool) != str(position):
            set_cursor(session, RR_PREFIX + pool, str(position))


class LazyWorkload:
    """`current_workload`, each half read from the store only when a rule needs it: the open-ticket counts when
    a rule picks a person, the round-robin positions when it picks in turn (triage and team-only rules need
    neither)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._open_tickets: dict[str, int] | None = None
        self._round_robin: dict[str, int] | None = None

    @property
    def open_tickets(self) -> dict[str, int]:
        if self._open_tickets is None:
            self._open_tickets = open_ticket_counts(self._session)
        return self._open_tickets

    @property
    def round_robin(self) -> dict[str, int]:
        if self._round_robin is None:
            self._round_robin = round_robin_positions(self._session)
        return self._round_robin
