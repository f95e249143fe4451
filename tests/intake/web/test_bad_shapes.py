"""Signed bodies with the wrong JSON shapes: a 4xx naming the field and a quarantined payload, never a 503."""

from __future__ import annotations

import copy
import json
from functools import partial

import pytest

from intake.channels.waha.signature import sign_waha_payload
from intake.channels.whatsapp.signature import sign_meta_payload
from tests.corpora import corpus
from tests.intake.conftest import APP_SECRET, QCONTACT_SECRET, WAHA_KEY, stored

GOOD_VALUE = {
    "messaging_product": "whatsapp",
    "metadata": {"display_phone_number": "15550009999", "phone_number_id": "106540352242922"},
    "contacts": [{"profile": {"name": "Maria Lopez"}, "wa_id": "15550100101"}],
    "messages": [
        {
            "from": "15550100101",
            "id": "wamid.SHAPE",
            "timestamp": "1763629200",
            "type": "text",
            "text": {"body": "The sink is leaking"},
        }
    ],
}
STATUS = {"id": "wamid.OUT", "status": "read", "timestamp": "1763629200", "recipient_id": "15550100101"}


def _cloud(**value) -> bytes:
    merged = {k: v for k, v in (copy.deepcopy(GOOD_VALUE) | value).items() if v is not ...}
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": merged}]}],
        }
    ).encode()


def _message(**fields) -> list[dict]:
    return [{k: v for k, v in (GOOD_VALUE["messages"][0] | fields).items() if v is not ...}]


async def _post(http, server, path: str, raw: bytes, headers: dict) -> tuple[int, dict]:
    async with http.post(
        str(server.make_url(path)), data=raw, headers={"Content-Type": "application/json", **headers}
    ) as response:
        assert response.content_type == "application/json"
        return response.status, await response.json()


def _assert_quarantined(db, raw_or_none: bytes | None, reason: str) -> None:
    [item] = stored(db)
    assert item.state == "quarantined" and reason in item.error
    if raw_or_none is not None:
        assert item.payload == raw_or_none


@pytest.mark.parametrize(
    "raw, reason",
    [
        (_cloud(messages=5), "field 'messages' must be a list, got int"),
        (_cloud(messages=..., statuses=3), "field 'statuses' must be a list, got int"),
        (_cloud(contacts=[{"wa_id": ["15550100101"]}]), "contacts[0]: field 'wa_id' must be a string"),
        (_cloud(contacts={"wa_id": "15550100101"}), "field 'contacts' must be a list, got dict"),
        (_cloud(metadata=["x"]), "field 'metadata' must be an object"),
        (_cloud(messages=_message(**{"from": ["15550100101"]})), "field 'from' must be a string"),
        (_cloud(messages=_message(context="wamid.X")), "field 'context' must be an object, got str"),
        (_cloud(messages=_message(text=["hi"])), "field 'text' must be an object, got list"),
        (_cloud(messages=..., statuses=[STATUS | {"errors": {"code": 1}}]), "field 'errors' must be a list"),
        (
            _cloud(messages=..., statuses=[STATUS | {"recipient_id": 15550100101}]),
            "field 'recipient_id' must be a string",
        ),
    ],
)
async def test_cloud_api_wrong_shapes_are_4xx_and_quarantined(server, http, db, raw, reason):
    status, body = await _post(
        http, server, "/webhooks/whatsapp", raw, {"X-Hub-Signature-256": sign_meta_payload(raw, APP_SECRET)}
    )
    assert status == 422 and reason in body["error"], body
    _assert_quarantined(db, None, reason)
    assert body["quarantined"] == stored(db)[0].id


async def test_a_contacts_message_keeps_its_list_body(server, http, db):
    shared = [{"name": {"formatted_name": "Plumber"}, "phones": [{"phone": "+1 555 010 0199"}]}]
    raw = _cloud(messages=_message(type="contacts", contacts=shared, text=...))
    status, body = await _post(
        http, server, "/webhooks/whatsapp", raw, {"X-Hub-Signature-256": sign_meta_payload(raw, APP_SECRET)}
    )
    assert status == 200 and body["accepted"] == 1


def _waha(**payload) -> bytes:
    event = json.loads((corpus("whatsapp") / "waha" / "message.reply.json").read_text())
    event["payload"] |= payload
    return json.dumps(event).encode()


# Bodies are built when the test runs (the corpus is read then, so a missing one skips this test only).
@pytest.mark.parametrize(
    "make_raw, status, reason",
    [
        (partial(_waha, **{"from": ["15550100101@c.us"]}), 422, "field 'payload.from' must be a string, got list"),
        (partial(_waha, replyTo="false_1@c.us_AAA"), 422, "field 'payload.replyTo' must be an object"),
        (partial(_waha, body=5), 422, "field 'payload.body' must be a string"),
        (partial(_waha, _data=[1]), 422, "field 'payload._data' must be an object"),
        (
            partial(json.dumps({"event": "message", "me": "me", "payload": {"id": "x", "from": "1@c.us"}}).encode),
            400,
            "field 'me' must be an object",
        ),
    ],
)
async def test_waha_wrong_shapes_are_4xx_and_quarantined(server, http, db, make_raw, status, reason):
    raw = make_raw()
    got, body = await _post(http, server, "/webhooks/waha", raw, {"X-Webhook-Hmac": sign_waha_payload(raw, WAHA_KEY)})
    assert got == status and reason in body["error"], body
    _assert_quarantined(db, raw if status == 400 else None, reason)


@pytest.mark.parametrize(
    "record, reason",
    [
        ({"case": {"id": {"nested": 1}, "case_number": "FT1"}}, "case id must be a string or an integer"),
        ({"interaction": {"id": 7, "case_id": [1, 2], "body": "hi"}}, "interaction 7 has no case id"),
        ({"interaction": {"id": True, "case_id": 1, "body": "hi"}}, "interaction id must be a string or an integer"),
    ],
)
async def test_qcontact_wrong_shapes_are_4xx_and_quarantined(server, http, db, record, reason):
    raw = json.dumps(record).encode()
    status, body = await _post(http, server, "/webhooks/qcontact", raw, {"X-Intake-Token": QCONTACT_SECRET})
    assert status == 422 and reason in body["error"], body
    _assert_quarantined(db, None, reason)


async def test_an_unforeseen_shape_is_still_the_senders_400_not_our_503(db, tmp_path, stub_broker, http, monkeypatch):
    """The safety net: a splitter bug on an odd body must not make the provider retry it forever."""
    from aiohttp.test_utils import TestServer

    from intake.channels.waha import webhook
    from intake.web.app import create_app
    from tests.conftest import make_settings

    def broken_split(raw: bytes, **_options):
        return json.loads(raw)["payload"]["id"] + 1  # TypeError: the kind of slip a new field could cause

    monkeypatch.setattr(webhook, "read_waha_payload", broken_split)
    settings = make_settings(db, tmp_path, waha={"hmac_key": WAHA_KEY})
    server = TestServer(create_app(settings, db), host="127.0.0.1")
    await server.start_server()
    try:
        raw = _waha()
        status, body = await _post(
            http, server, "/webhooks/waha", raw, {"X-Webhook-Hmac": sign_waha_payload(raw, WAHA_KEY)}
        )
    finally:
        await server.close()
    assert status == 400 and body["error"] == "malformed payload (TypeError)"
    _assert_quarantined(db, raw, "malformed payload (TypeError)")
