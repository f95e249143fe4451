"""A Graph API stand-in on loopback for the WhatsApp media tests."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

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
