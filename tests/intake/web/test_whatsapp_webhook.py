"""POST/GET /webhooks/whatsapp on a real server over loopback, with a real HTTP client and real databases."""

from __future__ import annotations

import json

import pytest

from intake.channels.whatsapp.payload import read_cloud_payload
from intake.channels.whatsapp.signature import sign_meta_payload
from intake.web.webhooks import WEBHOOK_STATS
from tests.corpora import corpus
from tests.intake.conftest import APP_SECRET, VERIFY_TOKEN, stored


def _url(server, path="/webhooks/whatsapp"):
    return str(server.make_url(path))


async def _post(http, server, raw: bytes, signature: str | None = "sign", content_type="application/json"):
    headers = {"Content-Type": content_type}
    if signature == "sign":
        signature = sign_meta_payload(raw, APP_SECRET)
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    async with http.post(_url(server), data=raw, headers=headers) as response:
        return response.status, await response.json()


async def test_verification_handshake(server, http):
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    async with http.get(_url(server), params=params) as response:
        assert response.status == 200 and await response.text() == "1158201444"
        assert response.content_type == "text/plain"
    for bad in ({**params, "hub.verify_token": "wrong"}, {**params, "hub.mode": "unsubscribe"}, {"hub.challenge": "1"}):
        async with http.get(_url(server), params=bad) as response:
            assert response.status == 403


async def test_signature_vectors_over_http(server, http, db):
    folder = corpus("whatsapp") / "cloud-api" / "signature-vectors"
    vectors = json.loads((folder / "vectors.json").read_text())
    for case in vectors["cases"]:
        raw = (folder / case["file"]).read_bytes()
        status, body = await _post(http, server, raw, case["X-Hub-Signature-256"])
        assert status == (200 if case["expect"] == "valid" else 401), (case, body)
    items = stored(db)
    assert {i.state for i in items} == {"pending"}  # refused deliveries leave no trace but a count
    valid = {c["file"] for c in vectors["cases"] if c["expect"] == "valid"}
    expected = {i.channel_id for name in valid for i in read_cloud_payload((folder / name).read_bytes()).items}
    assert {i.channel_id for i in items} == expected and expected
    assert server.app[WEBHOOK_STATS]["whatsapp:401"] == 3


async def test_every_corpus_payload_is_acknowledged_and_stored(server, http, db):
    expected = set()
    files = sorted((corpus("whatsapp") / "cloud-api" / "by-case").glob("*.json"))
    for path in files:
        raw = path.read_bytes()
        status, body = await _post(http, server, raw)
        assert status == 200, (path.name, body)
        expected |= {item.channel_id for item in read_cloud_payload(raw).items}
    # several corpus files reuse "wamid.xyzxyz": Meta's dedupe key makes them one stored item, as it should
    assert {i.channel_id for i in stored(db, "whatsapp")} == expected
    assert len(expected) == 17  # distinct ids among the 74 cases (many reuse wamid.xyzxyz)


async def test_retries_are_deduplicated_and_multi_message_payloads_split(server, http, db):
    body = _payload(
        [_text("wamid.A1", "hi"), _text("wamid.A2", "the sink"), _text("wamid.A3", "is leaking")],
        statuses=[
            {"id": "wamid.OUT1", "status": "delivered", "timestamp": "1763629200", "recipient_id": "15550100101"}
        ],
    )
    raw = json.dumps(body).encode()
    status, first = await _post(http, server, raw)
    assert status == 200 and first["accepted"] == 4 and first["duplicates"] == 0
    status, again = await _post(http, server, raw)  # Meta's retry
    assert status == 200 and again["accepted"] == 0 and again["duplicates"] == 4
    assert again["raw_ids"] == first["raw_ids"]
    ids = [i.channel_id for i in stored(db)]
    assert ids == ["wamid.A1", "wamid.A2", "wamid.A3", "status:wamid.OUT1:delivered"]


async def test_non_ascii_body_verifies_on_raw_bytes(server, http, db):
    raw = json.dumps(_payload([_text("wamid.ES1", "Se sale el agua del calentador, ¡urgente! 🚿")])).encode()
    assert b"\\u00a1" in raw  # json.dumps escapes like Meta does
    status, _ = await _post(http, server, raw)
    assert status == 200
    reserialised_sig = sign_meta_payload(json.dumps(json.loads(raw), ensure_ascii=False).encode(), APP_SECRET)
    status, body = await _post(http, server, raw, reserialised_sig)
    assert status == 401 and body == {"error": "invalid X-Hub-Signature-256"}


@pytest.mark.parametrize(
    "raw, content_type, status, reason",
    [
        (b"{oops", "application/json", 400, "invalid JSON"),
        (b'{"object": "page", "entry": [{}]}', "application/json", 400, "expected 'whatsapp_business_account'"),
        (b'{"object": "whatsapp_business_account"}', "application/json", 400, "missing field 'entry'"),
        (json.dumps({"object": "whatsapp_business_account", "entry": []}).encode(), "text/plain", 415, "content type"),
    ],
)
async def test_bad_signed_input_is_refused_and_quarantined(server, http, db, raw, content_type, status, reason):
    got, body = await _post(http, server, raw, content_type=content_type)
    assert got == status and reason in body["error"]
    [item] = stored(db)
    assert item.state == "quarantined" and reason in item.error and item.payload == raw
    assert item.id == body["quarantined"]


async def test_unknown_type_alone_is_422_mixed_batch_keeps_the_good_item(server, http, db):
    odd = {"from": "15550100101", "id": "wamid.ODD", "timestamp": "1763629200", "type": "hologram"}
    status, body = await _post(http, server, json.dumps(_payload([odd])).encode())
    assert status == 422 and "unknown message type 'hologram'" in body["error"]
    status, body = await _post(http, server, json.dumps(_payload([_text("wamid.OK", "No hot water"), odd])).encode())
    assert status == 200 and body["accepted"] == 1 and "hologram" in body["rejected"][0]["reason"]
    states = sorted((i.state, i.channel_id.split(":")[0]) for i in stored(db))
    assert states == [("pending", "wamid.OK"), ("quarantined", "rejected"), ("quarantined", "rejected")]


async def test_oversized_and_unauthenticated_bodies_are_counted_not_kept(server, http, db):
    big = json.dumps(_payload([_text("wamid.BIG", "x" * 70_000)])).encode()
    status, body = await _post(http, server, big)
    assert status == 413 and "limit" in body["error"]
    status, body = await _post(http, server, b"{oops", signature=None)
    assert status == 401 and body["error"] == "missing X-Hub-Signature-256"
    assert stored(db) == []
    stats = server.app[WEBHOOK_STATS]
    assert stats["whatsapp:413"] == 1 and stats["whatsapp:401"] == 1
    async with http.get(_url(server, "/healthz")) as response:  # still serving
        assert response.status == 200


def _text(wamid: str, text: str, sender: str = "15550100101") -> dict:
    return {"from": sender, "id": wamid, "timestamp": "1763629200", "type": "text", "text": {"body": text}}


def _payload(messages: list[dict], statuses: list[dict] | None = None) -> dict:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550009999", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Maria Lopez"}, "wa_id": "15550100101"}],
        "messages": messages,
    }
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}],
    }
