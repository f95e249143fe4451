"""A hung Redis (SIGSTOP) never stalls webhook replies: they come once the delivery is stored, the broker
message is best-effort within `broker.enqueue_wait_seconds`, and the reconciler sends the rest once Redis is
back; every delivery is then processed exactly once (#18 defect 8)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from datetime import timedelta

import aiohttp
import pytest
import redis
from aiohttp.test_utils import TestServer
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import func, select

from intake.broker import build_broker, use_broker
from intake.channels.whatsapp.signature import sign_meta_payload
from intake.core.models import utcnow
from store.models import RawItem, TicketMessage
from tests.conftest import make_settings
from tests.intake.test_service import free_port, wait_until

SECRET = "hung-redis-app-secret"
REPLY_BOUND = 2.0  # seconds: generous, against a broker timeout of 5 s per call


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own on a free loopback port; always resumed and killed at the end."""
    binary = shutil.which("redis-server") or pytest.fail("redis-server is required (see .ci/run)")
    port = free_port()
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_until(lambda: _pings(url), timeout=15, what="the private redis-server")
        yield server, url
    finally:
        server.send_signal(signal.SIGCONT)
        server.kill()
        server.wait(timeout=10)


def _pings(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_timeout=1).ping()
    except redis.RedisError:
        return False


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
    from intake import actors  # noqa: F401
    from intake.web.app import create_app

    redis_server, url = private_redis
    settings = make_settings(runtime.db, tmp_path, redis_url=url, whatsapp={"app_secret": SECRET})
    broker = use_broker(build_broker(settings))
    broker.emit_after("process_boot")
    server = TestServer(create_app(settings, runtime.db), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
            before = [await _timed_post(http, server, n) for n in range(3)]
            redis_server.send_signal(signal.SIGSTOP)
            try:
                during = [await _timed_post(http, server, n) for n in range(3, 15)]
            finally:
                redis_server.send_signal(signal.SIGCONT)
        print(
            f"reply seconds with Redis up: {[round(t, 3) for t in before]}; "
            f"with Redis stopped: {[round(t, 3) for t in during]}"
        )
        assert max(during) < REPLY_BOUND
        with runtime.db.session() as session:
            assert session.scalar(select(func.count()).select_from(RawItem)) == 15  # stored before each reply
        worker = worker_factory(broker)
        runtime.clock = lambda: utcnow() + timedelta(hours=1)  # past the reconciler's wait and the claim lease
        actors.reconcile_pending(runtime)

        def all_processed() -> bool:
            with runtime.db.session() as session:
                return session.scalar(select(func.count()).where(RawItem.state == "processed")) == 15

        wait_until(all_processed, timeout=120, what="the worker to process every delivery")
        broker.join("inbound")
        worker.join()
        with runtime.db.session() as session:
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
