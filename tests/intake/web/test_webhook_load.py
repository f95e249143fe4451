"""Concurrent deliveries through the group commit, and a database failure answered with 503 (never 500)."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import text

from intake.channels.whatsapp.signature import sign_meta_payload
from tests.intake.conftest import APP_SECRET, stored


def _body(n: int) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": "1"},
        "messages": [
            {
                "from": "15550100101",
                "id": f"wamid.C{n:04d}",
                "timestamp": "1795161600",
                "type": "text",
                "text": {"body": f"message {n}"},
            }
        ],
    }
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()


async def _post(http, server, raw: bytes):
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign_meta_payload(raw, APP_SECRET)}
    async with http.post(str(server.make_url("/webhooks/whatsapp")), data=raw, headers=headers) as response:
        return response.status, await response.json()


async def test_concurrent_deliveries_and_simultaneous_retries_store_each_message_once(server, http, db):
    bodies = [_body(n) for n in range(60)] * 3  # every message delivered three times, all at once
    answers = await asyncio.gather(*(_post(http, server, raw) for raw in bodies))
    assert {status for status, _ in answers} == {200}
    assert sum(body["accepted"] for _, body in answers) == 60
    assert sum(body["duplicates"] for _, body in answers) == 120
    by_id: dict[int, int] = {}
    for _, body in answers:
        for raw_id in body["raw_ids"]:
            by_id[raw_id] = by_id.get(raw_id, 0) + 1
    assert len(by_id) == 60 and set(by_id.values()) == {3}  # each retry was told the same raw id
    assert sorted(i.channel_id for i in stored(db)) == sorted(f"wamid.C{n:04d}" for n in range(60))


async def test_a_database_failure_answers_503_and_the_server_recovers(server, http, db):
    with db.engine.begin() as connection:
        connection.execute(text("ALTER TABLE raw_items RENAME TO raw_items_away"))
    try:
        status, body = await _post(http, server, _body(1))
        assert status == 503 and "temporarily" in body["error"]
    finally:
        with db.engine.begin() as connection:
            connection.execute(text("ALTER TABLE raw_items_away RENAME TO raw_items"))
    status, body = await _post(http, server, _body(1))  # Meta's retry, once the database is back
    assert status == 200 and body["accepted"] == 1


async def test_the_start_up_heap_is_frozen_while_serving_and_released_at_shutdown(chat_settings, db, stub_broker):
    """A full collection over the start-up heap stalled every open request for 30-50 ms (the p99 of
    benchmarks/bench_webhooks.py); frozen, the collector skips it. Stopping the app gives it back."""
    import gc

    from aiohttp.test_utils import TestServer

    from intake.web.app import create_app

    test_server = TestServer(create_app(chat_settings, db), host="127.0.0.1")
    await test_server.start_server()
    try:
        assert gc.get_freeze_count() > 10_000
    finally:
        await test_server.close()
    assert gc.get_freeze_count() == 0
