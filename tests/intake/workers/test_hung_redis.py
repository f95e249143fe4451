"""A hung Redis (SIGSTOP) never stalls webhook replies: they come once the delivery is stored, the broker
message is best-effort within `broker.enqueue_wait_seconds`, and the reconciler sends the rest once Redis is
back; every delivery is then processed exactly once (#18 defect 8)."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import func, select

from intake.broker import build_broker, use_broker
from intake.channels.whatsapp.signature import sign_meta_payload
from intake.core.models import utcnow
from store.models import RawItem, TicketMessage
from tests.conftest import make_settings
from tests.waits import log_lines

SECRET = "hung-redis-app-secret"
REPLY_BOUND = 2.0  # seconds: generous, against a broker timeout of 5 s per call


def _body(n: int) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": "1"},
        "contacts": [{"wa_id": f"155501{n:05d}", "profile": {"name": f"Tenant {n}"}}],
        "messages": [
            {
                "from": f"155501{n:05d}",
                "id": f"wamid.HUNG{n:04d}",
                "timestamp": "1795161600",
                "type": "text",
                "text": {"body": f"The sink in flat {n} is leaking"},
            }
        ],
    }
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()


async def _timed_post(http, server, n: int) -> float:
    raw = _body(n)
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign_meta_payload(raw, SECRET)}
    started = time.monotonic()
    async with http.post(str(server.make_url("/webhooks/whatsapp")), data=raw, headers=headers) as response:
        assert response.status == 200, await response.text()
    return time.monotonic() - started


@pytest.mark.redis
async def test_replies_stay_fast_while_redis_hangs_and_all_is_processed_once(
    runtime, private_redis, worker_factory, tmp_path
):
    from intake import actors
    from intake.web.app import create_app

    settings = make_settings(runtime.db, tmp_path, redis_url=private_redis.url, whatsapp={"app_secret": SECRET})
    broker = use_broker(build_broker(settings))
    broker.emit_after("process_boot")
    server = TestServer(create_app(settings, runtime.db), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
            before = [await _timed_post(http, server, n) for n in range(3)]
            private_redis.hang()
            try:
                during = [await _timed_post(http, server, n) for n in range(3, 15)]
            finally:
                private_redis.resume()
        print(
            f"reply seconds with Redis up: {[round(t, 3) for t in before]}; "
            f"with Redis stopped: {[round(t, 3) for t in during]}"
        )
        assert max(during) < REPLY_BOUND
        with runtime.db.session() as session:
            assert session.scalar(select(func.count()).select_from(RawItem)) == 15  # stored before each reply
        with log_lines("intake.pipeline.process") as pipeline_log:
            worker = worker_factory(broker)
            runtime.clock = lambda: utcnow() + timedelta(hours=1)  # past the reconciler's wait and the claim lease
            actors.reconcile_pending(runtime)
            pipeline_log.wait_for(" processed: ", count=15, timeout=120)  # the worker processed every delivery
        broker.join("inbound")
        worker.join()
        with runtime.db.session() as session:
            assert session.scalar(select(func.count()).where(RawItem.state == "processed")) == 15
            assert (
                session.scalar(
                    select(func.count()).select_from(TicketMessage).where(TicketMessage.direction == "inbound")
                )
                == 15
            )  # once each, none twice
            assert set(session.execute(select(RawItem.attempts)).scalars()) == {1}
    finally:
        await server.close()
        broker.close()
        use_broker(StubBroker())
