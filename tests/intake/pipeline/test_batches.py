"""Batches: raw items stored together reach a worker in one message, yet each succeeds or fails on its own."""

from __future__ import annotations

import pytest
from dramatiq import Message
from sqlalchemy import select

from intake import actors
from intake.channels.email.files import email_raw
from intake.ingest import accept
from intake.pipeline.process import process_batch
from store.models import RawItem, Ticket
from tests.intake.pipeline.test_pipeline import count, drain, make_email, poison_the_classifier


def three_mails() -> list[bytes]:
    return [
        make_email(),
        make_email(
            sender="tbecker@example.com", name="Tom Becker", subject="Poison", body="this one breaks the classifier"
        ),
        make_email(
            sender="j.carter@example.com",
            name="James Carter",
            subject="Broken window latch",
            body="The window latch in my bedroom is broken, unit 102.",
        ),
    ]


def states(db) -> dict[int, tuple[str, int]]:
    with db.session() as session:
        return {item.id: (item.state, item.attempts) for item in session.execute(select(RawItem)).scalars()}


def test_stored_items_go_to_the_worker_in_messages_of_batch_size(runtime, stub_broker, monkeypatch):
    monkeypatch.setattr(actors, "get_settings", lambda: runtime.settings)
    runtime.settings.pipeline.batch_size = 2
    mails = [make_email(subject=f"Leak number {n}") for n in range(5)]
    ids = [r.raw_id for r in accept(runtime.db, [email_raw(m, "t") for m in mails])]
    sent = [(m.actor_name, tuple(m.args)) for m in map(Message.decode, stub_broker.queues["inbound"].queue)]
    assert sent == [
        ("process_inbound_batch", (ids[0:2],)),
        ("process_inbound_batch", (ids[2:4],)),
        ("process_inbound", (ids[4],)),
    ]


def test_a_failing_item_does_not_hold_back_its_batch_and_is_retried_alone(
    runtime, stub_broker, worker_factory, monkeypatch
):
    from intake.actors import process_inbound

    poison_the_classifier(monkeypatch)
    monkeypatch.setattr(actors, "RETRY_DELAY_MS", 10)
    monkeypatch.setitem(process_inbound.options, "min_backoff", 10)
    monkeypatch.setitem(process_inbound.options, "max_backoff", 20)
    worker = worker_factory(stub_broker)
    healthy, poison, other = (r.raw_id for r in accept(runtime.db, [email_raw(m, "t") for m in three_mails()]))
    drain(stub_broker, worker)
    max_attempts = runtime.settings.pipeline.max_attempts
    assert states(runtime.db) == {
        healthy: ("processed", 1),
        poison: ("quarantined", max_attempts),
        other: ("processed", 1),
    }
    assert count(runtime.db, Ticket) == 2


def test_a_batch_skips_what_is_done_missing_or_held_by_another_worker(runtime):
    from datetime import timedelta

    from store import raw as raw_store

    done, leased, fresh = (
        r.raw_id for r in accept(runtime.db, [email_raw(m, "t") for m in three_mails()], enqueue=False)
    )
    assert process_batch(runtime, [done])[0].state == "processed"
    with runtime.db.session() as session:  # another worker's lease, taken a moment ago
        raw_store.claim(session, leased, runtime.clock(), timedelta(minutes=5))
    outcomes = {o.raw_id: (o.state, o.outcome) for o in process_batch(runtime, [done, leased, 999_999, fresh])}
    assert outcomes == {
        done: ("skipped", "already processed"),
        leased: ("skipped", "being processed by another worker"),
        999_999: ("skipped", "already missing"),
        fresh: ("processed", outcomes[fresh][1]),
    }
    assert outcomes[fresh][1].startswith("new ticket")
    assert states(runtime.db)[leased] == ("pending", 1)  # untouched: still the other worker's


@pytest.mark.parametrize("broken", [True, False])
def test_the_batch_classifier_is_the_registry_version_at_the_claim(runtime, monkeypatch, broken):
    """A batch builds its classifier once; if that fails, each item builds (and fails) on its own."""
    built = []
    original = type(runtime)._current_classifier

    def counting(self, session):
        built.append(1)
        if broken and len(built) == 1:
            raise RuntimeError("registry unreadable for a moment")
        return original(self, session)

    monkeypatch.setattr(type(runtime), "_current_classifier", counting)
    mails = three_mails()[::2]
    ids = [r.raw_id for r in accept(runtime.db, [email_raw(m, "t") for m in mails], enqueue=False)]
    assert [o.state for o in process_batch(runtime, ids)] == ["processed", "processed"]
    assert len(built) == (1 + len(ids) if broken else 1)
