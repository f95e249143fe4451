"""The store on SQLite and PostgreSQL: dedupe, numbering, registry round trip, lifecycle, migrations."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from intake.core.models import ChannelName, RawInput
from store import registry_db, threads
from store import tickets as ticket_store
from store.columns import exists_on
from store.errors import IllegalTransition
from store.lifecycle import check_transition
from store.models import Base, RawItem, Ticket
from store.raw import insert_raw

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def raw(channel_id: str, payload: bytes = b"x") -> RawInput:
    return RawInput(channel=ChannelName.EMAIL, channel_id=channel_id, payload=payload, received_at=NOW)


def test_raw_item_is_stored_once_per_channel_id(db):
    with db.session() as session:
        first_id, first_new = insert_raw(session, raw("<a@example.net>"))
        again_id, again_new = insert_raw(session, raw("<a@example.net>", b"different bytes, same id"))
        other_id, other_new = insert_raw(
            session, RawInput(channel=ChannelName.WHATSAPP, channel_id="<a@example.net>", payload=b"y")
        )
    assert (first_new, again_new, other_new) == (True, False, True)
    assert again_id == first_id != other_id
    with db.session() as session:
        assert session.execute(select(func.count()).select_from(RawItem)).scalar_one() == 2
        stored = session.get(RawItem, first_id)
        assert stored.payload == b"x" and stored.state == "pending" and stored.received_at == NOW


def test_datetimes_come_back_timezone_aware_in_utc(db):
    with db.session() as session:
        raw_id, _ = insert_raw(session, raw("<tz@example.net>"))
    with db.session() as session:
        assert session.get(RawItem, raw_id).received_at.tzinfo is not None


def test_ticket_numbers_are_sequential_per_prefix(db):
    with db.session() as session:
        numbers = [ticket_store.next_number(session, p) for p in ("EML", "EML", "WA", "EML", "QC")]
    assert numbers == ["EML-000001", "EML-000002", "WA-000001", "EML-000003", "QC-000001"]


def test_concurrent_numbering_never_repeats_a_number(db):
    with db.session() as session:  # the counter row exists before the race, as after the first ticket
        ticket_store.next_number(session, "EML")
    seen: list[str] = []
    errors: list[Exception] = []

    def take() -> None:
        try:
            for _ in range(10):
                with db.locked() as session:
                    seen.append(ticket_store.next_number(session, "EML"))
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(seen) == 40 and len(set(seen)) == 40


def test_two_first_tickets_of_a_prefix_at_once_both_get_a_number(db):
    """The counter row does not exist yet: the second worker waits for the first one's insert, then counts on."""
    first_has_number, numbers, errors = threading.Event(), {}, []

    def second() -> None:
        first_has_number.wait()
        try:
            with db.locked() as session:
                numbers["second"] = ticket_store.next_number(session, "WA")
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)

    other = threading.Thread(target=second)
    other.start()
    with db.locked() as session:
        numbers["first"] = ticket_store.next_number(session, "WA")
        first_has_number.set()
        other.join(timeout=0.5)  # the second one is blocked on our uncommitted counter row (or lock)
    other.join()
    assert not errors
    assert numbers == {"first": "WA-000001", "second": "WA-000002"}


def test_one_senders_messages_are_threaded_one_at_a_time(db):
    """While one transaction holds a sender, another transaction for the same sender waits for its commit."""
    holding, order = threading.Event(), []

    def other(sender: str) -> None:
        holding.wait()
        with db.locked() as session:
            threads.lock_sender(session, "whatsapp", sender)
            order.append(sender)

    same = threading.Thread(target=other, args=("+15550100101",))
    same.start()
    with db.locked() as session:
        threads.lock_sender(session, "whatsapp", "+15550100101")
        holding.set()
        same.join(timeout=0.5)
        order.append("first")
    same.join()
    assert order == ["first", "+15550100101"]


def test_registry_round_trips_through_the_database(db, registry):
    with db.session() as session:
        counts = registry_db.import_registry(session, registry)
    with db.session() as session:
        loaded = registry_db.load(session)
    assert counts["properties"] == len(registry.properties)
    assert loaded == registry
    harbor = loaded.property("HBR")
    assert harbor.contract.is_active(date(2026, 6, 1)) and not harbor.contract.is_active(date(2027, 1, 2))
    assert harbor.guarantees[0].covers("101", "plumbing", date(2026, 11, 1))
    assert not harbor.guarantees[0].covers("102", "plumbing", date(2026, 11, 1))


def test_registry_import_replaces_the_previous_one(db, registry):
    with db.session() as session:
        registry_db.import_registry(session, registry)
    smaller = registry.model_copy(update={"tenants": registry.tenants[:2]})
    with db.session() as session:
        registry_db.import_registry(session, smaller)
    with db.session() as session:
        assert len(registry_db.load(session).tenants) == 2


def test_status_changes_follow_the_lifecycle_and_are_recorded(db):
    with db.session() as session:
        ticket = Ticket(number=ticket_store.next_number(session, "INT"), channel="internal", created_at=NOW)
        session.add(ticket)
        session.flush()
        ticket_store.change_status(session, ticket, "assigned", actor="dana", reason="picked up", at=NOW)
        ticket_store.change_status(session, ticket, "resolved", actor="dana", reason="fixed", at=NOW)
        with pytest.raises(IllegalTransition, match="cannot become new"):
            check_transition(ticket.status, "new")
        ticket_store.change_status(session, ticket, "in_progress", actor="system", reason="tenant replied", at=NOW)
        number = ticket.number
    with db.session() as session:
        ticket = ticket_store.get_by_number(session, number)
        assert [e.kind for e in ticket.events] == ["status-changed", "status-changed", "reopened"]
        assert ticket.events[0].actor == "dana" and ticket.events[0].changes == {
            "status": {"from": "new", "to": "assigned"}
        }
        assert ticket.resolved_at is None and ticket.status == "in_progress"


def test_migrations_match_the_models(db):
    with db.engine.connect() as connection:
        on_this_dialect = lambda obj, *_: exists_on(connection.dialect.name, obj)  # noqa: E731
        context = MigrationContext.configure(
            connection, opts={"compare_type": False, "include_object": on_this_dialect}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_postgresql_stores_large_payloads_and_texts_with_lz4(pg_url):
    """Migration 0003: pglz cost the server 5x the CPU of lz4 on raw mail (see the migration). A server
    without lz4 (before 14, or built without it) keeps pglz."""
    from sqlalchemy import text

    from store.db import Database
    from store.models import TicketMessage
    from tests.conftest import _truncate_all

    database = Database(pg_url)
    _truncate_all(database)
    body = "The kitchen tap has been dripping since Monday. " * 2_000  # ~100 KB: TOASTed and compressible
    try:
        with database.session() as session:
            raw_id, _ = insert_raw(session, raw("<lz4@example.net>", body.encode()))
            ticket = Ticket(
                number=ticket_store.next_number(session, "EML"),
                channel="email",
                requester="t@example.org",
                created_at=NOW,
                last_activity_at=NOW,
            )
            session.add(
                TicketMessage(
                    ticket=ticket,
                    direction="inbound",
                    channel="email",
                    author="t@example.org",
                    text=body,
                    full_text=body,
                    created_at=NOW,
                )
            )
        with database.session() as session:
            compression = session.execute(
                text(
                    "SELECT pg_column_compression(r.payload), pg_column_compression(m.text), pg_column_compression(m.full_text) "
                    "FROM raw_items r, ticket_messages m WHERE r.id = :id"
                ),
                {"id": raw_id},
            ).one()
            assert session.get(RawItem, raw_id).payload == body.encode()
            methods = session.execute(
                text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
            ).scalar()
    finally:
        _truncate_all(database)
        database.dispose()
    expected = "lz4" if "lz4" in (methods or []) else "pglz"
    assert tuple(compression) == (expected,) * 3


def test_postgresql_finds_thread_candidates_by_index_not_by_scanning_every_ticket(pg_url):
    """One OR over all of a mail's links made PostgreSQL read every ticket ever opened, for every mail (21 ms a
    mail at 40,000 tickets): each link must be reachable by an index. With sequential scans priced out, a plan
    that still has one has no other way."""
    from sqlalchemy import event, text

    from store.db import Database
    from tests.conftest import _truncate_all

    database, plans = Database(pg_url), []

    def explain(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT tickets.id") and "ORDER BY CASE" in statement:  # the candidates query
            plans.append("\n".join(row[0] for row in cursor.connection.execute("EXPLAIN " + statement, parameters)))

    _truncate_all(database)
    try:
        with database.session() as session:
            session.add(
                Ticket(
                    number=ticket_store.next_number(session, "EML"),
                    channel="email",
                    requester="t@example.org",
                    created_at=NOW,
                    last_activity_at=NOW,
                )
            )
        event.listen(database.engine, "before_cursor_execute", explain)
        with database.session() as session:
            session.execute(text("SET LOCAL enable_seqscan = off"))
            found = threads.thread_candidates(
                session,
                channel=ChannelName.EMAIL,
                sender="t@example.org",
                message_ids=["<a@example.org>"],
                ticket_reference="EML-000042",
                external_ticket_id="qc-7",
                since=NOW.replace(year=2000),
            )
    finally:
        event.remove(database.engine, "before_cursor_execute", explain)
        _truncate_all(database)
        database.dispose()
    assert len(found) == 1
    assert len(plans) == 1 and "Seq Scan" not in plans[0], plans


def _record_statements(db):
    """A list that collects the SQL the engine runs while the returned listener is attached."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(conn, cursor, statement, *_):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(db.engine, "before_cursor_execute", record)


def test_a_follow_up_reuses_the_ticket_its_candidates_loaded_but_reads_the_timeline(db):
    with db.session() as session:
        ticket = Ticket(
            number=ticket_store.next_number(session, "EML"),
            channel="email",
            requester="t@example.org",
            created_at=NOW,
            last_activity_at=NOW,
        )
        session.add(ticket)
        session.flush()
        ticket_store.change_status(session, ticket, "assigned", actor="dana", reason="picked up", at=NOW)
        number = ticket.number
    with db.session() as session:
        found = threads.thread_candidates(
            session,
            channel=ChannelName.EMAIL,
            sender="t@example.org",
            message_ids=[],
            ticket_reference=None,
            external_ticket_id=None,
            since=NOW.replace(year=2000),
        )
        assert [c.ticket_number for c in found] == [number]
        seen, stop = _record_statements(db)
        loaded = threads.for_follow_up(session, number.lower())
        stop()
        assert loaded.number == number and [e.kind for e in loaded.events] == ["status-changed"]
        assert len(seen) == 1 and "ticket_events" in seen[0] and "FROM tickets" not in seen[0]
        with db.session() as other:  # meanwhile, another worker resolves it
            ticket_store.change_status(
                other, ticket_store.get_by_number(other, number), "resolved", actor="dana", reason="fixed", at=NOW
            )
    with session.begin():  # the same session's next transaction never trusts what the last one loaded
        loaded = threads.for_follow_up(session, number)
        assert loaded.status == "resolved" and [e.kind for e in loaded.events] == ["status-changed", "status-changed"]
