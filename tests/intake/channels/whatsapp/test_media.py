"""Media download against a local Graph API stand-in: the two-step fetch, the bearer token, the size cap."""

from __future__ import annotations

import aiohttp
import pytest

from intake.channels.whatsapp.media import MediaError, download_media
from intake.core.settings import Settings
from tests.intake.channels.whatsapp.conftest import GRAPH_TOKEN as TOKEN
from tests.intake.channels.whatsapp.conftest import JPEG


def _settings(server, cap=1_000_000) -> Settings:
    return Settings(
        whatsapp={"graph_base_url": str(server.make_url("/v21.0")), "access_token": TOKEN, "media_max_bytes": cap}
    )


async def test_download_follows_the_graph_url_with_the_token(graph):
    server, seen = graph
    async with aiohttp.ClientSession() as http:
        data, content_type = await download_media(_settings(server), "1048563792471211", http)
    assert data == JPEG and content_type == "image/jpeg"
    assert seen == [f"Bearer {TOKEN}", f"Bearer {TOKEN}"]


async def test_size_cap_and_errors(graph):
    server, _ = graph
    async with aiohttp.ClientSession() as http:
        with pytest.raises(MediaError, match="over the 1000000 limit") as declared:
            await download_media(_settings(server), "huge", http)
        assert declared.value.permanent
        with pytest.raises(MediaError, match="over the 1000 byte limit"):
            await download_media(_settings(server, cap=1000), "liar", http)
        with pytest.raises(MediaError, match="HTTP 404"):
            await download_media(_settings(server), "missing", http)
        with pytest.raises(MediaError, match="access_token is not configured"):
            await download_media(Settings(), "1", http)
