"""Status webhooks about our outbound WhatsApp message, in shuffled order: the status only moves forward."""

from __future__ import annotations

import itertools
import json

import pytest
from sqlalchemy import select

from intake.channels.whatsapp.signature import sign_meta_payload
from intake.pipeline.delivery import is_delivery_advance
from store.models import Ticket, TicketEvent, TicketMessage
from tests.conftest import SAMPLES
from tests.intake.channels.chat.test_chat_pipeline import drain
from tests.intake.conftest import APP_SECRET

OURS = "wamid.HBgLMTU1NTAxMDAxMDEVAgARGBJPVVJSRVBMWQA="
ERROR = {"code": 131026, "title": "Message undeliverable"}


def _status(status: str, n: int) -> bytes:
    item = {"id": OURS, "status": status, "timestamp": str(1795162100 + n), "recipient_id": "15550100101"}
    if status == "failed":
        item["errors"] = [ERROR]
    value = {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550009999"}, "statuses": [item]}
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()


async def _post(http, server, raw: bytes) -> None:
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign_meta_payload(raw, APP_SECRET)}
    async with http.post(str(server.make_url("/webhooks/whatsapp")), data=raw, headers=headers) as response:
        assert response.status == 200, await response.text()


def _reply_on_a_ticket(db) -> int:
    """Our reply on the tenant's ticket, stored as an outbound message row the way outbound/ stores one."""
    with db.session() as session:
        ticket = session.execute(select(Ticket)).scalar_one()
        row = TicketMessage(
            ticket=ticket,
            direction="outbound",
            channel="whatsapp",
            author="15550009999",
            recipients=["+15550100101"],
            text="A plumber comes at 10",
            full_text="",
            channel_message_id=OURS,
            delivery_status="queued",
        )
        session.add(row)
        session.flush()
        return row.id


def _state(db, row_id: int) -> tuple[str, str | None, int]:
    with db.session() as session:
        row = session.get(TicketMessage, row_id)
        failures = session.execute(select(TicketEvent).where(TicketEvent.kind == "delivery-failed")).scalars().all()
        return row.delivery_status, row.delivery_error, len(failures)


@pytest.mark.parametrize(
    "order, expected",
    [
        (("read", "sent", "delivered"), ("read", None, 0)),
        (("delivered", "read", "sent"), ("read", None, 0)),
        (("sent", "failed", "sent"), ("failed", "131026 Message undeliverable", 1)),
        (("failed", "sent"), ("failed", "131026 Message undeliverable", 1)),
        (("read", "failed", "sent"), ("read", None, 1)),  # reached the phone: it did not fail; the error is noted
    ],
)
async def test_statuses_in_any_order_only_move_forward(
    runtime, server, http, stub_broker, worker_factory, order, expected
):
    worker = worker_factory(stub_broker)
    await _post(http, server, (SAMPLES / "whatsapp" / "01-text-sink-leak.json").read_bytes())
    drain(stub_broker, worker)
    row_id = _reply_on_a_ticket(runtime.db)
    for n, status in enumerate(order):
        await _post(http, server, _status(status, n))
        drain(stub_broker, worker)  # one at a time: the order of processing is the order given
    assert _state(runtime.db, row_id) == expected


def test_every_permutation_ends_at_the_furthest_status():
    for order in itertools.permutations(["sent", "delivered", "read"]):
        current = "queued"
        for status in order:
            current = status if is_delivery_advance(current, status) else current
        assert current == "read", order
    assert not is_delivery_advance("read", "deleted") and is_delivery_advance("bounced", "bounced")
