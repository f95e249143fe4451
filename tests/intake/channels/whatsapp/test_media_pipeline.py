"""A WhatsApp photo becomes a ticket, then its media is fetched by the actor into the file store."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from intake.channels.whatsapp.payload import read_cloud_payload
from intake.ingest import accept
from store.models import Attachment, TicketEvent
from tests.conftest import SAMPLES, make_settings
from tests.intake.channels.whatsapp.conftest import GRAPH_TOKEN, JPEG


def image_delivery(media_id: str) -> bytes:
    payload = json.loads((SAMPLES / "whatsapp" / "02-image-ceiling-stain.json").read_text())
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["image"]["id"] = media_id
    message["id"] = f"wamid.media-test-{media_id}"
    return json.dumps(payload).encode()


def run_pipeline(runtime, broker, worker, body: bytes) -> None:
    accept(runtime.db, read_cloud_payload(body, "test").items)
    for queue in ("inbound", "media"):
        broker.join(queue)
    worker.join()


async def test_media_is_fetched_after_the_ticket_is_committed(graph, runtime, stub_broker, worker_factory, tmp_path):
    server, seen = graph
    runtime.settings = make_settings(
        runtime.db, tmp_path, whatsapp={"graph_base_url": str(server.make_url("/v21.0")), "access_token": GRAPH_TOKEN}
    )
    worker = worker_factory(stub_broker)
    await asyncio.to_thread(run_pipeline, runtime, stub_broker, worker, image_delivery("1048563792471211"))
    await asyncio.to_thread(run_pipeline, runtime, stub_broker, worker, image_delivery("huge"))
    with runtime.db.session() as session:
        fetched, too_big = session.execute(select(Attachment).order_by(Attachment.id)).scalars().all()
        assert fetched.stored and fetched.size == len(JPEG) and runtime.files.get(fetched.sha256) == JPEG
        assert not too_big.stored and "over the" in too_big.note
        kinds = set(session.execute(select(TicketEvent.kind)).scalars())
        assert {"attachment-fetched", "attachment-not-fetched"} <= kinds
    assert seen and all(header == f"Bearer {GRAPH_TOKEN}" for header in seen)
