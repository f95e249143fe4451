"""WAHA media are fetched only from the configured WAHA server; a Cloud API url without a media id never is."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from intake.channels.waha.payload import read_waha_payload
from intake.channels.whatsapp.channel import WhatsAppChannel
from intake.channels.whatsapp.media import MediaError, download_media
from intake.channels.whatsapp.payload import read_cloud_payload
from intake.core.settings import Settings
from intake.ingest import accept
from store.models import Attachment, TicketEvent
from tests.conftest import make_settings
from tests.corpora import corpus
from tests.intake.channels.helpers import as_record
from tests.intake.channels.whatsapp.conftest import JPEG

API_KEY = "waha-api-key-123"


async def _stand_in(seen: list[tuple[str, str]], redirect_to: str | None = None) -> TestServer:
    """A file server that records (path, X-Api-Key) of every request it gets."""

    async def files(request: web.Request) -> web.Response:
        seen.append((request.path, request.headers.get("X-Api-Key", "")))
        if redirect_to and request.path.endswith("moved.jpeg"):
            raise web.HTTPFound(redirect_to)
        return web.Response(body=JPEG, content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/api/files/{name}", files)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


@pytest.fixture
async def servers():
    """(waha, elsewhere, seen-by-waha, seen-by-elsewhere): two origins on loopback, differing only in port."""
    waha_seen, other_seen = [], []
    other = await _stand_in(other_seen)
    waha = await _stand_in(waha_seen, redirect_to=str(other.make_url("/api/files/stolen.jpeg")))
    yield waha, other, waha_seen, other_seen
    await waha.close()
    await other.close()


def _settings(waha: TestServer) -> Settings:
    return Settings(waha={"base_url": str(waha.make_url("/")), "api_key": API_KEY})


async def test_waha_media_come_only_from_the_waha_origin(servers):
    waha, other, waha_seen, other_seen = servers
    settings = _settings(waha)
    async with aiohttp.ClientSession() as http:
        data, content_type = await download_media(settings, str(waha.make_url("/api/files/ok.jpeg")), http)
        assert data == JPEG and content_type == "image/jpeg"
        disguised = f"http://127.0.0.1:{waha.port}@127.0.0.2:{other.port}/api/files/x.jpeg"  # userinfo trick
        for url in (str(other.make_url("/api/files/x.jpeg")), disguised):
            with pytest.raises(MediaError, match="not on the WAHA server") as refused:
                await download_media(settings, url, http)
            assert refused.value.permanent
        with pytest.raises(MediaError, match="redirected") as moved:  # a redirect would carry the key away
            await download_media(settings, str(waha.make_url("/api/files/moved.jpeg")), http)
        assert moved.value.permanent
    assert waha_seen == [("/api/files/ok.jpeg", API_KEY), ("/api/files/moved.jpeg", API_KEY)]
    assert other_seen == []  # the key never left the WAHA server


def _waha_event(url: str) -> bytes:
    event = json.loads((corpus("whatsapp") / "waha" / "message.document.json").read_text())
    event["payload"]["media"]["url"] = url
    event["payload"]["from"] = "15550100101@c.us"
    return json.dumps(event).encode()


def _run(runtime, broker, worker, items) -> None:
    accept(runtime.db, items)
    for queue in ("inbound", "media"):
        broker.join(queue)
    worker.join()


async def test_a_foreign_media_url_is_a_permanent_failure_on_the_attachment(
    servers, runtime, stub_broker, worker_factory, tmp_path
):
    waha, other, _, other_seen = servers
    runtime.settings = make_settings(
        runtime.db, tmp_path, waha={"base_url": str(waha.make_url("/")), "api_key": API_KEY}
    )
    worker = worker_factory(stub_broker)
    items = read_waha_payload(_waha_event(str(other.make_url("/api/files/x.pdf")))).items
    await asyncio.to_thread(_run, runtime, stub_broker, worker, items)
    with runtime.db.session() as session:
        [attachment] = session.execute(select(Attachment)).scalars().all()
        assert not attachment.stored and attachment.note.startswith("not fetched:")
        assert "not on the WAHA server" in attachment.note
        assert "attachment-not-fetched" in set(session.execute(select(TicketEvent.kind)).scalars())
    assert other_seen == []


def test_a_cloud_api_url_without_a_media_id_is_never_fetched():
    image = {"mime_type": "image/jpeg", "url": "http://127.0.0.1:3000/api/files/x.jpeg", "caption": "leak"}
    message = {"from": "15550100101", "id": "wamid.URLONLY", "timestamp": "1763629200", "type": "image", "image": image}
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp", "messages": [message]}}],
            }
        ],
    }
    [item] = read_cloud_payload(json.dumps(body).encode()).items
    parsed = WhatsAppChannel().parse(as_record(item), Settings())
    [attachment] = parsed.attachments
    assert attachment.media_id is None and attachment.note == "not fetched: the message has no media id"
    with_id = WhatsAppChannel().parse(
        as_record(
            read_cloud_payload(
                json.dumps(body).replace('"caption"', '"id": "1048563792471211", "caption"').encode()
            ).items[0]
        ),
        Settings(),
    )
    assert with_id.attachments[0].media_id == "1048563792471211"
