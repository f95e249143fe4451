"""A provider's retry, over HTTP and through the real worker, never makes a second ticket or message."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from store.models import RawItem, Ticket, TicketMessage
from tests.intake.channels.chat.test_chat_pipeline import _deliver, drain


@pytest.mark.parametrize(
    "folder, name",
    [
        ("whatsapp", "01-text-sink-leak"),
        ("waha", "01-message-noise-complaint"),
        ("qcontact", "01-webhook-case-created-leak"),
    ],
)
async def test_a_redelivered_webhook_makes_exactly_one_ticket(
    runtime, server, http, stub_broker, worker_factory, folder, name
):
    worker = worker_factory(stub_broker)
    first = await _deliver(http, server, folder, name)
    second = await _deliver(http, server, folder, name)  # retried before the worker got to it
    drain(stub_broker, worker)
    third = await _deliver(http, server, folder, name)  # retried after the ticket exists
    drain(stub_broker, worker)
    from intake.actors import process_inbound

    process_inbound.send(first["raw_ids"][0])  # and the broker redelivering the job itself
    drain(stub_broker, worker)
    assert first["accepted"] == 1 and second["duplicates"] == third["duplicates"] == 1
    assert first["raw_ids"] == second["raw_ids"] == third["raw_ids"]
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1
        assert session.scalar(select(func.count()).select_from(TicketMessage)) == 1
        assert [r.state for r in session.execute(select(RawItem)).scalars()] == ["processed"]
