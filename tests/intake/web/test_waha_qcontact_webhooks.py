"""POST /webhooks/waha and /webhooks/qcontact over loopback: authentication, items stored, bad input."""

from __future__ import annotations

import json

from intake.channels.waha.signature import sign_waha_payload
from tests.corpora import corpus
from tests.intake.conftest import QCONTACT_SECRET, WAHA_KEY, stored


async def _post_waha(http, server, raw: bytes, hmac: str | None = "sign"):
    headers = {"Content-Type": "application/json", "X-Webhook-Hmac-Algorithm": "sha512"}
    if hmac == "sign":
        hmac = sign_waha_payload(raw, WAHA_KEY)
    if hmac:
        headers["X-Webhook-Hmac"] = hmac
    async with http.post(str(server.make_url("/webhooks/waha")), data=raw, headers=headers) as response:
        return response.status, await response.json()


async def test_waha_events_are_stored_or_ignored(server, http, db):
    folder = corpus("whatsapp") / "waha"
    results = {}
    events = sorted(p for p in folder.glob("*.json") if p.stem != "hmac-test-vector")
    assert len(events) == 11  # + the HMAC vector = the corpus' 12 WAHA files
    for path in events:
        status, body = await _post_waha(http, server, path.read_bytes())
        results[path.stem] = (status, body.get("accepted", 0) + body.get("duplicates", 0))
    assert results["message.document"] == (200, 1)
    assert results["message.image-with-caption"] == (200, 1)  # the docs reuse the document's id: a duplicate
    assert results["message.text"] == (200, 0)  # fromMe: our own phone
    assert results["session.status"] == (200, 0)
    assert results["message.edited"][0] == 422  # the docs' example has no sender
    assert results["envelope.structure"][0] == 422  # the docs' envelope sketch has an empty payload
    ids = {i.channel_id for i in stored(db, "waha") if i.state == "pending"}
    assert "ack:true_11111111111@c.us_4CC5EDD64BC22EBA6D639F2AF571346C:READ" in ids
    assert "false_79111111@c.us_11111111111111111111111111111111" in ids  # the reaction


async def test_waha_hmac_is_required_when_a_key_is_configured(server, http, db):
    raw = (corpus("whatsapp") / "waha" / "message.reply.json").read_bytes()
    assert (await _post_waha(http, server, raw, hmac=None))[0] == 401
    assert (await _post_waha(http, server, raw, hmac="00" * 64))[0] == 401
    assert stored(db) == []
    status, body = await _post_waha(http, server, raw)
    assert status == 200 and body["accepted"] == 1


def _case(case_id: int, **kw) -> dict:
    return {
        "id": case_id,
        "case_number": f"FT{case_id:07d}",
        "subject": "Leak under kitchen sink",
        "description": "Water is pooling under the sink in unit 101",
        "status": "open",
        "created_at": "2026-11-20T08:15:00Z",
        "updated_at": "2026-11-20T08:15:00Z",
        "contact": {"id": 9911, "first_name": "Maria", "last_name": "Lopez", "phone_number": "+15550100101"},
    } | kw


async def _post_qcontact(http, server, body: bytes, token: str | None = QCONTACT_SECRET):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Intake-Token"] = token
    async with http.post(str(server.make_url("/webhooks/qcontact")), data=body, headers=headers) as response:
        return response.status, await response.json()


async def test_qcontact_webhook_case_and_interaction(server, http, db):
    case = json.dumps({"event": "case.created", "case": _case(48213)}).encode()
    interaction = json.dumps(
        {
            "event": "interaction.created",
            "interaction": {
                "id": 771002,
                "case_id": 48213,
                "case_number": "FT0048213",
                "direction": "inbound",
                "body": "It's getting worse, the cabinet floor is soaked",
                "created_at": "2026-11-20T09:01:00Z",
                "contact": {"id": 9911, "phone_number": "+15550100101"},
            },
        }
    ).encode()
    agent = json.dumps(
        {
            "event": "interaction.created",
            "interaction": {"id": 771003, "case_id": 48213, "direction": "outbound", "body": "A plumber is on the way"},
        }
    ).encode()
    assert (await _post_qcontact(http, server, case))[1]["accepted"] == 1
    assert (await _post_qcontact(http, server, case))[1]["duplicates"] == 1
    assert (await _post_qcontact(http, server, interaction))[1]["accepted"] == 1
    status, body = await _post_qcontact(http, server, agent)
    assert status == 200 and body["accepted"] == 0 and body["ignored"] == ["interaction:outbound"]
    assert [i.channel_id for i in stored(db, "qcontact")] == ["case:48213", "interaction:771002"]


async def test_qcontact_webhook_refusals(server, http, db):
    case = json.dumps({"case": _case(1)}).encode()
    assert (await _post_qcontact(http, server, case, token=None))[0] == 401
    assert (await _post_qcontact(http, server, case, token="nope"))[0] == 401
    status, body = await _post_qcontact(http, server, b'{"event": "case.created", "hello": 1}')
    assert status == 400 and "no case or interaction" in body["error"]
    status, body = await _post_qcontact(http, server, json.dumps({"case": {"subject": "no id"}}).encode())
    assert status == 422 and "case has no id" in body["error"]
    assert [(i.state, i.error.split(" (")[0]) for i in stored(db)] == [
        ("quarantined", "no case or interaction in the body"),
        ("quarantined", "case has no id"),
    ]


async def _serving(settings, db):
    from aiohttp.test_utils import TestServer

    from intake.web.app import create_app

    server = TestServer(create_app(settings, db), host="127.0.0.1")
    await server.start_server()
    return server


async def test_without_a_key_waha_and_qcontact_refuse_every_delivery(db, tmp_path, stub_broker, http):
    from tests.conftest import make_settings

    server = await _serving(make_settings(db, tmp_path), db)
    try:
        raw = (corpus("whatsapp") / "waha" / "message.reply.json").read_bytes()
        status, body = await _post_waha(http, server, raw, hmac=None)
        assert status == 503 and body == {"error": "waha.hmac_key is not configured"}
        status, body = await _post_qcontact(http, server, json.dumps({"case": _case(1)}).encode())
        assert status == 503 and "webhook_secret is not configured" in body["error"]
        assert stored(db) == []
    finally:
        await server.close()


async def test_waha_allow_unsigned_accepts_without_a_key_but_never_quarantines(db, tmp_path, stub_broker, http):
    from tests.conftest import make_settings

    server = await _serving(make_settings(db, tmp_path, waha={"allow_unsigned": True}), db)
    try:
        raw = (corpus("whatsapp") / "waha" / "message.reply.json").read_bytes()
        assert (await _post_waha(http, server, raw, hmac=None)) == (
            200,
            {"accepted": 1, "duplicates": 0, "raw_ids": [1]},
        )
        status, body = await _post_waha(http, server, b"{broken", hmac=None)
        assert status == 400 and "invalid JSON" in body["error"] and "quarantined" not in body
        assert [i.state for i in stored(db)] == ["pending"]
    finally:
        await server.close()
