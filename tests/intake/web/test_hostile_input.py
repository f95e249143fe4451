"""Hostile and broken bodies on the three webhooks (#18 defects 1, 2, 3, 6), over the real app on loopback.

The house rule: a signed body we can never process is answered 4xx and kept in quarantine with the
reason (the provider must not retry it for ever, and nothing is lost); a NUL in the text is removed from
the parsed message, so the tenant still gets a ticket, while the raw item keeps every byte.
"""

from __future__ import annotations

import asyncio
import copy
import json

import pytest
from sqlalchemy import select

from intake.channels.waha.signature import sign_waha_payload
from intake.channels.whatsapp.signature import sign_meta_payload
from intake.pipeline.process import process_raw
from store.models import Ticket, TicketMessage
from tests.intake.conftest import APP_SECRET, QCONTACT_SECRET, WAHA_KEY, stored

VALUE = {
    "messaging_product": "whatsapp",
    "metadata": {"display_phone_number": "15550009999", "phone_number_id": "106540352242922"},
    "contacts": [{"profile": {"name": "Maria Lopez"}, "wa_id": "15550100101"}],
    "messages": [
        {
            "from": "15550100101",
            "id": "wamid.EDGE",
            "timestamp": "1763629200",
            "type": "text",
            "text": {"body": "The sink is leaking"},
        }
    ],
}
WAHA_EVENT = {
    "event": "message",
    "session": "default",
    "engine": "NOWEB",
    "me": {"id": "15550009999@c.us"},
    "payload": {
        "id": "false_15550100101@c.us_3EB0",
        "timestamp": 1763629200,
        "from": "15550100101@c.us",
        "fromMe": False,
        "body": "The sink is leaking",
        "notifyName": "Maria",
    },
}
QCONTACT_CASE = {
    "event": "case.created",
    "case": {
        "id": 4711,
        "case_number": "FT0099",
        "subject": "Leak",
        "description": "The sink is leaking",
        "phone": "+15550100101",
    },
}


def cloud(value: dict | None = None, **message) -> bytes:
    value = copy.deepcopy(value or VALUE)
    value["messages"][0].update(message)
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()


def waha(**payload) -> bytes:
    event = copy.deepcopy(WAHA_EVENT)
    event["payload"].update(payload)
    return json.dumps(event).encode()


def signed(route: str, raw: bytes) -> dict:
    if route == "whatsapp":
        return {"X-Hub-Signature-256": sign_meta_payload(raw, APP_SECRET)}
    if route == "waha":
        return {"X-Webhook-Hmac": sign_waha_payload(raw, WAHA_KEY)}
    return {"X-Intake-Token": QCONTACT_SECRET}


async def post(http, server, route: str, raw: bytes) -> tuple[int, dict]:
    async with http.post(
        str(server.make_url(f"/webhooks/{route}")),
        data=raw,
        headers={"Content-Type": "application/json", **signed(route, raw)},
    ) as response:
        return response.status, await response.json()


DEEP = "__deep__"


def deepen(raw: bytes, depth: int = 985) -> bytes:
    """`raw` with the string "__deep__" replaced by arrays nested `depth` deep (json.dumps cannot build it)."""
    return raw.replace(json.dumps(DEEP).encode(), b"[" * depth + b'"x"' + b"]" * depth)


@pytest.mark.parametrize("route", ["whatsapp", "waha", "qcontact"])
async def test_deeply_nested_json_is_400_and_quarantined_not_503(server, http, db, route):
    raw = b"[" * 5000 + b"]" * 5000
    status, body = await post(http, server, route, raw)
    assert status == 400 and "nested more than 64 levels" in body["error"], body
    [item] = stored(db)
    assert item.state == "quarantined" and item.payload == raw and "limits.json_max_depth" in item.error


@pytest.mark.parametrize(
    "route, raw",
    [
        ("whatsapp", lambda: deepen(cloud(text={"body": DEEP}))),
        ("waha", lambda: deepen(waha(body=DEEP))),
        ("qcontact", lambda: deepen(json.dumps({"case": {**QCONTACT_CASE["case"], "description": DEEP}}).encode())),
    ],
)
async def test_a_valid_envelope_with_a_deeply_nested_field_is_400_not_503(server, http, db, route, raw):
    raw = raw()
    status, body = await post(http, server, route, raw)
    assert status == 400 and "nested more than" in body["error"], body
    assert [item.state for item in stored(db)] == ["quarantined"]


async def test_nesting_within_the_configured_limit_is_accepted(server, http, db):
    raw = cloud(referral={"a": {"b": {"c": {"d": [[[["fine"]]]]}}}})
    status, body = await post(http, server, "whatsapp", raw)
    assert status == 200 and body["accepted"] == 1, body


@pytest.mark.parametrize(
    "route, raw, reason",
    [
        ("whatsapp", lambda: cloud(id="wamid.x\u0000y"), "field 'id' contains a control character"),
        (
            "whatsapp",
            lambda: json.dumps(
                {
                    "object": "whatsapp_business_account",
                    "entry": [
                        {
                            "id": "1",
                            "changes": [
                                {
                                    "field": "messages",
                                    "value": {"statuses": [{"id": "wamid.OUT\u0000", "status": "read"}]},
                                }
                            ],
                        }
                    ],
                }
            ).encode(),
            "field 'id' contains a control character",
        ),
        ("waha", lambda: waha(id="false_1555@c.us_\u00003EB0"), "contains a control character"),
        (
            "qcontact",
            lambda: json.dumps({"case": {**QCONTACT_CASE["case"], "id": "47\u000011"}}).encode(),
            "case id contains a control character",
        ),
    ],
)
async def test_a_nul_in_a_message_id_is_422_and_quarantined_not_503(server, http, db, route, raw, reason):
    raw = raw()
    status, body = await post(http, server, route, raw)
    assert status == 422 and reason in body["error"], body
    [item] = stored(db)
    assert item.state == "quarantined" and reason in item.error and body["quarantined"] == item.id


@pytest.mark.parametrize(
    "route, raw, reason",
    [
        ("whatsapp", lambda: cloud(text={"body": 12345}), "field 'text.body' must be a string, got int"),
        ("whatsapp", lambda: cloud(text={"body": [[["a"]]]}), "field 'text.body' must be a string, got list"),
        (
            "whatsapp",
            lambda: cloud(type="image", text=None, image={"id": "m1", "caption": {"x": 1}}),
            "field 'image.caption' must be a string, got dict",
        ),
        (
            "whatsapp",
            lambda: cloud(
                type="interactive",
                text=None,
                interactive={"type": "button_reply", "button_reply": {"id": "b1", "title": 7}},
            ),
            "field 'interactive.button_reply.title' must be a string, got int",
        ),
        ("whatsapp", lambda: cloud(context={"id": ["wamid.A"]}), "field 'context.id' must be a string, got list"),
        (
            "whatsapp",
            lambda: cloud({**VALUE, "contacts": [{"profile": {"name": 5}, "wa_id": "15550100101"}]}),
            "field 'contacts[0].profile.name' must be a string, got int",
        ),
        ("waha", lambda: waha(media={"url": 5}), "field 'payload.media.url' must be a string, got int"),
        ("waha", lambda: waha(replyTo={"id": [1]}), "field 'payload.replyTo.id' must be a string, got list"),
        (
            "qcontact",
            lambda: json.dumps({"case": {**QCONTACT_CASE["case"], "description": [["x"]]}}).encode(),
            "field 'text'",
        ),
    ],
)
async def test_wrong_field_types_are_422_and_quarantined(server, http, db, route, raw, reason):
    status, body = await post(http, server, route, raw())
    assert status == 422 and reason in body["error"], body
    [item] = stored(db)
    assert item.state == "quarantined" and reason in item.error


def _ticket_texts(db) -> list[tuple]:
    with db.session() as session:
        rows = session.execute(
            select(Ticket.requester_name, TicketMessage.text, TicketMessage.author_name).join(
                TicketMessage, TicketMessage.ticket_id == Ticket.id
            )
        ).all()
    return [tuple(row) for row in rows]


@pytest.mark.parametrize(
    "route, raw",
    [
        (
            "whatsapp",
            lambda: cloud(
                {**VALUE, "contacts": [{"profile": {"name": "Ma\u0000ria"}, "wa_id": "15550100101"}]},
                text={"body": "The sink\u0000 is leaking\u0007"},
            ),
        ),
        ("waha", lambda: waha(body="The sink\u0000 is leaking\u0007", notifyName="Ma\u0000ria")),
    ],
)
async def test_a_nul_in_text_or_name_still_makes_a_ticket(runtime, server, http, route, raw):
    raw = raw()
    status, body = await post(http, server, route, raw)
    assert status == 200 and body["accepted"] == 1, body
    outcome = await asyncio.to_thread(process_raw, runtime, body["raw_ids"][0])
    assert outcome.state == "processed", outcome
    [(name, text, author_name)] = _ticket_texts(runtime.db)
    assert text == "The sink is leaking" and author_name == "Maria"
    assert "\x00" not in (name or "") and "\x00" not in author_name
    [item] = stored(runtime.db)
    assert b"\\u0000" in item.payload  # the raw item keeps every byte it arrived with
