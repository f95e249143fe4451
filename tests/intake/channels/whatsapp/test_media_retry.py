"""A media server that is down is retried by the broker (one log line, no traceback) until it answers."""

from __future__ import annotations

import asyncio
import json
import logging
import socket

import dramatiq
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from intake.channels.waha.payload import read_waha_payload
from intake.ingest import accept
from intake.pipeline.process import process_raw
from store.models import Attachment
from tests.conftest import SAMPLES, make_settings
from tests.intake.channels.whatsapp.conftest import JPEG


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_an_unreachable_media_server_is_retried_until_it_answers(runtime, stub_broker, tmp_path, caplog):
    from intake import actors

    port = _free_port()
    runtime.settings = make_settings(runtime.db, tmp_path, waha={"base_url": f"http://127.0.0.1:{port}"})
    event = json.loads((SAMPLES / "waha" / "02-message-image-broken-window.json").read_text())
    event["payload"]["media"]["url"] = f"http://127.0.0.1:{port}/api/files/default/window.jpeg"
    [item] = read_waha_payload(json.dumps(event).encode(), "test").items
    [stored] = accept(runtime.db, [item], enqueue=False)
    assert (await asyncio.to_thread(process_raw, runtime, stored.raw_id)).state == "processed"
    with runtime.db.session() as session:
        attachment_id = session.execute(select(Attachment.id)).scalar_one()

    with caplog.at_level(logging.WARNING), pytest.raises(dramatiq.Retry):  # nothing listens on the port yet
        await asyncio.to_thread(actors.fetch_attachment.fn, attachment_id)
    assert "will retry: media server unreachable" in caplog.text and "Traceback" not in caplog.text
    with runtime.db.session() as session:
        assert not session.get(Attachment, attachment_id).stored  # still to do, not failed for good

    async def window(_request: web.Request) -> web.Response:
        return web.Response(body=JPEG, content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/api/files/default/window.jpeg", window)
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        await asyncio.to_thread(actors.fetch_attachment.fn, attachment_id)  # the broker's retry
    finally:
        await server.close()
    with runtime.db.session() as session:
        row = session.get(Attachment, attachment_id)
        assert row.stored and runtime.files.get(row.sha256) == JPEG
