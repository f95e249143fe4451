"""`/healthz` reports the database and Redis separately and the workers' heartbeat; the beat warns when the
workers look stalled (#18 defect 10)."""

from __future__ import annotations

import logging
import uuid

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from dramatiq.brokers.stub import StubBroker

from intake.broker import build_broker, use_broker
from intake.core.models import ChannelName, RawInput
from intake.heartbeat import check_workers
from intake.ingest import accept
from store.db import Database
from tests.conftest import REDIS_URL, make_settings
from tests.servers import free_port


async def health(settings, db) -> tuple[int, dict]:
    from intake.web.app import create_app

    server = TestServer(create_app(settings, db), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http, http.get(str(server.make_url("/healthz"))) as response:
            return response.status, await response.json()
    finally:
        await server.close()


@pytest.fixture
def redis_settings(db, tmp_path):
    return make_settings(db, tmp_path, redis_url=REDIS_URL, redis_namespace=f"intake-health-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def heartbeat_broker(redis_settings):
    """The broker `intake worker` builds (with the heartbeat), in a namespace of its own."""
    from intake import actors  # noqa: F401

    broker = use_broker(build_broker(redis_settings))
    broker.emit_after("process_boot")
    yield broker
    broker.flush_all()
    broker.client.delete(f"{redis_settings.redis_namespace}:intake-worker-heartbeat")
    broker.close()
    use_broker(StubBroker())


@pytest.mark.redis
async def test_database_and_redis_are_reported_each_on_its_own(db, redis_settings):
    status, body = await health(redis_settings, db)
    assert status == 200 and (body["status"], body["database"], body["redis"]) == ("ok", "ok", "ok")
    assert body["workers"] == {"last_processed_at": None, "queue_depth": 0, "stale": False}
    no_redis = redis_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    status, body = await health(no_redis, db)  # deliveries are still stored: the instance stays in service
    assert status == 200 and (body["status"], body["database"], body["redis"]) == ("degraded", "ok", "ConnectionError")
    lost_database = Database(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/gone")
    status, body = await health(redis_settings, lost_database)
    assert status == 503 and body["database"] == "OperationalError" and body["redis"] == "ok"
    lost_database.dispose()


@pytest.mark.redis
async def test_the_heartbeat_shows_waiting_items_and_the_last_one_processed(
    runtime, redis_settings, heartbeat_broker, worker_factory, caplog
):
    raws = [
        RawInput(
            channel=ChannelName.WHATSAPP, channel_id=f"wamid.beat-{n}", payload=b"{}", content_type="application/json"
        )
        for n in range(3)
    ]
    for raw in raws:
        accept(runtime.db, [raw])  # one message each, and no worker yet
    status, body = await health(redis_settings, runtime.db)
    assert status == 200 and body["workers"] == {"last_processed_at": None, "queue_depth": 3, "stale": True}
    with caplog.at_level(logging.WARNING, logger="intake.heartbeat"):
        assert check_workers(redis_settings).stale
    assert "3 inbound messages waiting, last item processed never" in caplog.text
    worker = worker_factory(heartbeat_broker)
    heartbeat_broker.join("inbound")
    worker.join()
    _, body = await health(redis_settings, runtime.db)
    assert body["workers"]["queue_depth"] == 0 and body["workers"]["last_processed_at"] and not body["workers"]["stale"]
