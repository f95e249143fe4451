"""Fixtures for the rules engine wired into the service: an injectable clock, a private Redis server (so a test
may shut it down without touching the shared one) and helpers that create tickets through the real pipeline."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import select

from intake.broker import use_broker
from intake.channels.email.files import email_raw
from intake.ingest import accept
from store.models import SlaTimer, Ticket, TicketEvent
from tests.intake.pipeline.test_pipeline import make_email


class FakeClock:
    """The runtime's clock, moved by the test: business time jumps forward without sleeping."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment


@pytest.fixture
def clock(runtime):
    fake = FakeClock(datetime.fromisoformat("2026-11-30T14:00:00+00:00"))
    runtime.clock = fake  # before the first `runtime.rules()`: the rules holder keeps this clock
    return fake


@pytest.fixture
def timer_broker(private_redis):
    """The real Redis broker on the private server, with our actors declared on it."""
    from intake import actors  # noqa: F401

    broker = use_broker(RedisBroker(url=private_redis.url, namespace=f"intake-timers-{uuid.uuid4().hex[:6]}"))
    broker.emit_after("process_boot")
    yield broker
    broker.close()
    use_broker(StubBroker())


def drain(broker, worker, timeout_ms: int = 30_000) -> None:
    for queue in ("inbound", "timers", "maintenance"):
        broker.join(queue, timeout=timeout_ms)
    worker.join()


def new_ticket(runtime, broker, worker, **email) -> str:
    """A ticket made by the real pipeline from an email, at the clock's time; returns its id."""
    accept(runtime.db, [email_raw(make_email(**email), "test")])
    drain(broker, worker)
    with runtime.db.session() as session:
        return session.execute(select(Ticket.id).order_by(Ticket.created_at.desc())).scalars().first()


def timers_of(runtime, ticket_id: str) -> dict[str, SlaTimer]:
    with runtime.db.session() as session:
        rows = session.execute(select(SlaTimer).where(SlaTimer.ticket_id == ticket_id)).scalars().all()
        session.expunge_all()
    return {row.kind: row for row in rows}


def events_of(runtime, ticket_id: str, kind: str) -> list[TicketEvent]:
    with runtime.db.session() as session:
        rows = (
            session.execute(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind)
                .order_by(TicketEvent.id)
            )
            .scalars()
            .all()
        )
        session.expunge_all()
    return rows


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


MINUTE = timedelta(minutes=1)
