"""The triage queue's pinned rows (store/review_queue.py): an unsettled possible emergency comes before every
ticket in triage, even an urgent one, and a settled one is not in the queue unless triage wants it."""

from __future__ import annotations

from datetime import UTC, datetime

from store import tickets as ticket_store
from store.models import Ticket
from store.review_queue import review_queue

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def add(session, subject: str, urgency: str, *, needs_review: bool = False, emergency: str | None = None) -> None:
    session.add(
        Ticket(
            number=ticket_store.next_number(session, "EML"),
            channel="email",
            subject=subject,
            urgency=urgency,
            needs_review=needs_review,
            emergency_state=emergency,
            emergency_reasons=["water at risk"] if emergency else [],
            created_at=NOW,
            last_activity_at=NOW,
        )
    )


def test_an_open_possible_emergency_is_pinned_above_even_an_urgent_ticket_in_triage(db):
    with db.session() as session:
        add(session, "urgent, unsure of the unit", "urgent", needs_review=True)
        add(session, "cleared drip", "high", emergency="cleared")
        add(session, "confirmed, now urgent", "urgent", emergency="confirmed")
        add(session, "open drip", "low", emergency="open")
        add(session, "standard in triage", "standard", needs_review=True)
    with db.session() as session:
        assert [t.subject for t in review_queue(session)] == [
            "open drip",
            "urgent, unsure of the unit",
            "standard in triage",
        ]
