"""Fetch chat media: Cloud API media ids through the Graph API, WAHA media by URL. Size-capped.

Called by the media-download actor after a message is parsed (never in the webhook request). The Graph
API answers `GET {graph_base_url}/{media_id}` with JSON holding a short-lived `url`, which is fetched with
the same bearer token. Bytes beyond `whatsapp.media_max_bytes` are never read.
"""

from __future__ import annotations

import asyncio

import aiohttp
import yarl

from intake.core.errors import TransientError
from intake.core.settings import Settings

# An attachment note that starts so is a permanent failure; any other (e.g. "not fetched yet") is still to do.
FAILED_PREFIX = "not fetched:"


class MediaError(TransientError):
    """The media cannot be fetched; `permanent` says whether retrying could help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


async def download_media(settings: Settings, media_id: str, http: aiohttp.ClientSession) -> tuple[bytes, str]:
    """The bytes and content type of a Cloud API media id (or of a WAHA media URL)."""
    if media_id.startswith(("http://", "https://")):
        if not is_waha_url(media_id, settings.waha.base_url):
            # The URL comes from the event body; on an unsigned WAHA route anyone picks it. Never fetch
            # elsewhere (SSRF) and never send the WAHA API key to another host.
            raise MediaError("media URL is not on the WAHA server (waha.base_url); not fetched", permanent=True)
        headers = {}
        if settings.waha.api_key:
            headers["X-Api-Key"] = settings.waha.api_key.get_secret_value()
        # no redirects: one would carry the API key to wherever it points
        return await _fetch(http, media_id, headers, settings.whatsapp.media_max_bytes, redirects=False)
    if not settings.whatsapp.access_token:
        raise MediaError("whatsapp.access_token is not configured", permanent=True)
    auth = {"Authorization": f"Bearer {settings.whatsapp.access_token.get_secret_value()}"}
    async with http.get(f"{settings.whatsapp.graph_base_url.rstrip('/')}/{media_id}", headers=auth) as response:
        if response.status >= 400:
            raise MediaError(
                f"media {media_id}: Graph API HTTP {response.status}", permanent=response.status in (400, 404)
            )
        info = await response.json(content_type=None)
    if not isinstance(info, dict) or not info.get("url"):
        raise MediaError(f"media {media_id}: Graph API answer has no url", permanent=True)
    declared = info.get("file_size")
    if isinstance(declared, int) and declared > settings.whatsapp.media_max_bytes:
        raise MediaError(
            f"media {media_id}: {declared} bytes, over the {settings.whatsapp.media_max_bytes} limit", permanent=True
        )
    data, content_type = await _fetch(http, info["url"], auth, settings.whatsapp.media_max_bytes)
    return data, info.get("mime_type") or content_type


def is_waha_url(url: str, base_url: str | None) -> bool:
    """Whether `url` has the same scheme, host and port as the configured WAHA server."""
    return bool(base_url) and _origin(url) == _origin(base_url)


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parsed = yarl.URL(url)
        return (parsed.scheme.lower(), (parsed.host or "").lower(), parsed.port) if parsed.host else None
    except ValueError:
        return None


def fetch_media(settings: Settings, media_id: str) -> tuple[bytes, str]:
    """Blocking form of `download_media` for a Dramatiq actor: its own session, 60 s overall."""

    async def run() -> tuple[bytes, str]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
            return await download_media(settings, media_id, http)

    try:
        return asyncio.run(run())
    except (TimeoutError, aiohttp.ClientError) as exc:  # the server is down or slow: worth a retry
        raise MediaError(f"media server unreachable: {type(exc).__name__}: {exc}") from None


async def _fetch(
    http: aiohttp.ClientSession, url: str, headers: dict, limit: int, redirects: bool = True
) -> tuple[bytes, str]:
    async with http.get(url, headers=headers, allow_redirects=redirects) as response:
        if 300 <= response.status < 400:
            raise MediaError(f"media download redirected (HTTP {response.status}); not followed", permanent=True)
        if response.status >= 400:
            raise MediaError(f"media download HTTP {response.status}", permanent=response.status in (400, 404, 410))
        if response.content_length is not None and response.content_length > limit:
            raise MediaError(f"media is {response.content_length} bytes, over the {limit} limit", permanent=True)
        chunks, size = [], 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise MediaError(f"media is over the {limit} byte limit", permanent=True)
            chunks.append(chunk)
        return b"".join(chunks), (response.content_type or "application/octet-stream")
