"""Chat deliveries from the webhook to tickets: real server, real worker, real databases, the samples."""

from __future__ import annotations

from sqlalchemy import select

from intake.channels.waha.signature import sign_waha_payload
from intake.channels.whatsapp.signature import sign_meta_payload
from store.models import RawItem, Ticket, TicketMessage
from tests.conftest import SAMPLES
from tests.intake.conftest import APP_SECRET, QCONTACT_SECRET, WAHA_KEY


def drain(broker, worker) -> None:
    broker.join("inbound", fail_fast=False)
    worker.join()


async def _deliver(http, server, folder: str, name: str) -> dict:
    raw = (SAMPLES / folder / f"{name}.json").read_bytes()
    headers = {"Content-Type": "application/json"}
    if folder == "whatsapp":
        headers["X-Hub-Signature-256"] = sign_meta_payload(raw, APP_SECRET)
    elif folder == "waha":
        headers["X-Webhook-Hmac"] = sign_waha_payload(raw, WAHA_KEY)
    else:
        headers["X-Intake-Token"] = QCONTACT_SECRET
    async with http.post(str(server.make_url(f"/webhooks/{folder}")), data=raw, headers=headers) as response:
        assert response.status == 200, await response.text()
        return await response.json()


def _tickets(db) -> list[tuple]:
    with db.session() as session:
        tickets = session.execute(select(Ticket).order_by(Ticket.number)).scalars().all()
        counts = {
            t.id: len(session.execute(select(TicketMessage.id).where(TicketMessage.ticket_id == t.id)).all())
            for t in tickets
        }
        return [(t.number, t.requester, t.property_id, t.unit, t.external_ticket_id, counts[t.id]) for t in tickets]


async def test_chat_messages_become_tickets_by_conversation(runtime, server, http, stub_broker, worker_factory):
    worker = worker_factory(stub_broker)
    db = runtime.db
    await _deliver(http, server, "whatsapp", "05-multi-message-heating")  # "hi" / "the heating in 3A" / "is not…"
    drain(stub_broker, worker)
    await _deliver(http, server, "whatsapp", "01-text-sink-leak")
    drain(stub_broker, worker)
    await _deliver(http, server, "whatsapp", "15-text-another-problem")  # same tenant, "Another problem: …"
    drain(stub_broker, worker)
    await _deliver(http, server, "whatsapp", "06-status-delivered-read")  # about a message we never sent
    await _deliver(http, server, "waha", "01-message-noise-complaint")
    await _deliver(http, server, "qcontact", "01-webhook-case-created-leak")
    drain(stub_broker, worker)
    await _deliver(http, server, "qcontact", "03-webhook-interaction-follow-up")
    drain(stub_broker, worker)

    assert _tickets(db) == [
        ("QC-000001", "+15550100101", "HBR", "101", "FT0048213", 2),
        ("WA-000001", "+15550200031", "ELM", "3A", None, 3),
        ("WA-000002", "+15550100101", "HBR", "101", None, 1),
        ("WA-000003", "+15550100101", "HBR", "101", None, 1),
        ("WA-000004", "+15550400022", "MPL", "B2", None, 1),
    ]
    with db.session() as session:
        states = {r.channel_id: (r.state, r.outcome) for r in session.execute(select(RawItem)).scalars()}
    assert {state for state, _ in states.values()} == {"processed"}
    reports = [outcome for channel_id, (_, outcome) in states.items() if channel_id.startswith("status:")]
    assert len(reports) == 2 and all("delivery report" in outcome for outcome in reports)


async def test_a_chat_that_starts_with_hi_is_classified_by_what_follows(
    runtime, server, http, stub_broker, worker_factory
):
    worker = worker_factory(stub_broker, threads=1)  # in arrival order: "hi" opens the ticket
    await _deliver(http, server, "whatsapp", "05-multi-message-heating")  # "hi" / "the heating in 3A" / "is not…"
    drain(stub_broker, worker)
    with runtime.db.session() as session:
        ticket = session.execute(select(Ticket)).scalar_one()
        assert (ticket.category, ticket.subcategory) == ("maintenance", "hvac")
        placed = [e for e in ticket.events if e.kind == "fields-changed" and "category" in (e.changes or {})]
        assert placed and placed[0].actor == "classifier"
        assert placed[0].changes["category"] == {"from": "other", "to": "maintenance"}
        assert "the conversation so far says category other → maintenance/hvac" in placed[0].reason
