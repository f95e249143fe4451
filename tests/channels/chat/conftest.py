"""A real aiohttp server on loopback with the webhook routes, and helpers to read what it stored."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from store.models import RawItem
from tests.conftest import make_settings

APP_SECRET = "test_app_secret_0123456789abcdef"  # the corpus signature vectors' dummy secret
VERIFY_TOKEN = "verify-me-please"
WAHA_KEY = "my-secret-key"
QCONTACT_SECRET = "qc-hook-token"


GRAPH_TOKEN = "graph-access-token"
JPEG = b"\xff\xd8\xff\xe0" + b"photo-of-a-leak" * 100


@pytest.fixture
async def graph():
    """A Graph API stand-in: media info at /v21.0/{id}, bytes at /files/{id}; records Authorization headers."""
    seen: list[str] = []

    async def media_info(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        media_id = request.match_info["media_id"]
        if media_id == "missing":
            return web.json_response({"error": {"message": "not found"}}, status=404)
        size = {"huge": 50 * 1024 * 1024, "liar": 10}.get(media_id, len(JPEG))
        return web.json_response(
            {
                "url": str(request.url.with_path(f"/files/{media_id}")),
                "mime_type": "image/jpeg",
                "sha256": "x",
                "file_size": size,
                "id": media_id,
                "messaging_product": "whatsapp",
            }
        )

    async def media_file(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        if request.match_info["media_id"] == "liar":  # declares 10 bytes, streams more than the cap, unsized
            response = web.StreamResponse()
            response.enable_chunked_encoding()
            await response.prepare(request)
            for _ in range(10):
                await response.write(b"0" * 500)
            await response.write_eof()
            return response
        return web.Response(body=JPEG, content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/v21.0/{media_id}", media_info)
    app.router.add_get("/files/{media_id}", media_file)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server, seen
    await server.close()


@pytest.fixture
def chat_settings(db, tmp_path):
    return make_settings(
        db,
        tmp_path,
        whatsapp={"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN},
        waha={"hmac_key": WAHA_KEY},
        qcontact={"webhook_secret": QCONTACT_SECRET},
        limits={"webhook_body_max_bytes": 64 * 1024},
    )


@pytest.fixture
async def server(chat_settings, db, stub_broker):
    from intake.web.app import create_app

    test_server = TestServer(create_app(chat_settings, db), host="127.0.0.1")
    await test_server.start_server()
    yield test_server
    await test_server.close()


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


def stored(db, channel: str | None = None) -> list[RawItem]:
    with db.session() as session:
        query = select(RawItem).order_by(RawItem.id)
        if channel:
            query = query.where(RawItem.channel == channel)
        return list(session.execute(query).scalars())
