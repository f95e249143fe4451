"""The web app's webhook routes: every registered channel's (WhatsApp Cloud API, WAHA and QContact today).

The edge of the pipeline, in this order: read the body (capped while reading) → authenticate the raw
bytes (the channel's `Webhook.authenticate`) → check the content type → split into raw items (its `split`) →
`accept` (one commit) → 200. Nothing else happens in the request. Bad input gets a 4xx with a JSON error naming
the problem; if the sender was authenticated the payload is kept in quarantine with the reason, otherwise it is
only counted and logged. A failure of ours (database down) answers 503 so the provider retries; the server never
answers 500. Every signed body we can never process is answered 4xx *and* kept (store-then-quarantine), the same
on every route: a retry would bring the same bytes back, and only a kept copy lets someone replay it once fixed.
400: not JSON, or nested past `limits.json_max_depth`; 422: a control character in an id, a wrong field type.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable

from aiohttp import web

from intake.channels.payload import PayloadError, Split, rejected_raw, split_or_reject
from intake.channels.registry import channels
from intake.channels.webhook import Refused, Webhook
from intake.core.models import ChannelName, RawInput
from intake.core.settings import Settings
from intake.ingest import quarantine_input
from intake.logs import describe_error
from intake.web.batching import AcceptBatcher

log = logging.getLogger(__name__)
WEBHOOK_STATS = web.AppKey("webhook_stats", Counter)
ACCEPT_BATCHER = web.AppKey("accept_batcher", AcceptBatcher)
INLINE_SPLIT_BYTES = 64 * 1024  # smaller bodies are split on the loop: a thread hop would cost more


def add_routes(app: web.Application, settings: Settings, db) -> None:
    """Add every registered channel's webhook routes to `app` (POST, and GET where it has a handshake)."""
    stats: Counter = Counter()
    app[WEBHOOK_STATS] = stats
    batcher = app[ACCEPT_BATCHER] = AcceptBatcher(db, enqueue_wait=settings.broker.enqueue_wait_seconds)
    app.on_cleanup.append(lambda _app: batcher.close())
    for channel in channels():
        for route in channel.webhooks(settings):  # a channel whose configuration is unusable fails start-up here
            if route.handshake is not None:
                app.router.add_get(route.path, _handshake_handler(route.channel, route.handshake, stats))
            app.router.add_post(route.path, _receive_handler(route, settings, db, stats, batcher))


def _handshake_handler(channel: ChannelName, answer: Callable[[web.Request], str | None], stats: Counter):
    async def handshake(request: web.Request) -> web.Response:
        text = answer(request)
        if text is not None:
            return web.Response(text=text, content_type="text/plain")
        stats[f"{channel.value}:verify-refused"] += 1
        log.info("%s verification refused from %s", channel.value, request.remote)
        return web.json_response({"error": "verification failed"}, status=403)

    return handshake


def _receive_handler(route: Webhook, settings: Settings, db, stats: Counter, batcher: AcceptBatcher):
    limit = settings.limits.webhook_body_max_bytes

    async def receive(request: web.Request) -> web.Response:
        channel = route.channel.value
        raw = b""
        verified = False
        try:
            raw = await _read_capped(request, limit)
            verified = route.authenticate(raw, request)
            if request.content_type != "application/json":
                raise Refused(415, f"content type must be application/json, got {request.content_type!r}", keep=True)
            body = await _store(db, batcher, route, raw)
        except Refused as refused:
            # only a verified sender's bad input is kept: anyone else could fill the quarantine
            return await _refuse(db, stats, route.channel, raw, refused, verified and refused.keep)
        except Exception as exc:  # ours, not the sender's: answer 503 so the provider retries later
            stats[f"{channel}:error"] += 1
            # no traceback: database errors quote the payload; the message goes through redaction
            log.error("webhook %s: could not store the delivery: %s", channel, describe_error(exc))
            return web.json_response({"error": "temporarily unable to store the delivery"}, status=503)
        stats[f"{channel}:accepted"] += body["accepted"]
        return web.json_response(body, status=200)

    return receive


async def _read_capped(request: web.Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed `limit` (never buffered beyond it)."""
    if request.content_length is not None and request.content_length > limit:
        raise Refused(413, f"body of {request.content_length} bytes exceeds the {limit} byte limit")
    chunks, size = [], 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise Refused(413, f"body exceeds the {limit} byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def _store(db, batcher: AcceptBatcher, route: Webhook, raw: bytes) -> dict:
    """Split, store the good items (group commit), quarantine the bad ones; the answer's JSON body."""

    def split_body(body: bytes) -> Split:  # an unforeseen shape is the sender's too: a 503 would be retried for ever
        return split_or_reject(route.split, body, route.channel)

    try:
        split = split_body(raw) if len(raw) <= INLINE_SPLIT_BYTES else await asyncio.to_thread(split_body, raw)
    except PayloadError as exc:
        raise Refused(400, str(exc), keep=True) from None
    if split.rejected and not split.items:
        raise Refused(422, "; ".join(item.reason for item in split.rejected), keep=True)
    results = await batcher.accept(split.items)
    rejected = await asyncio.to_thread(_quarantine_items, db, route.channel, split) if split.rejected else []
    duplicates = sum(r.duplicate for r in results)
    body = {"accepted": len(results) - duplicates, "duplicates": duplicates, "raw_ids": [r.raw_id for r in results]}
    if split.ignored:
        body["ignored"] = split.ignored
    if rejected:
        body["rejected"] = rejected
    return body


def _quarantine_items(db, channel: ChannelName, split: Split) -> list[dict]:
    rejected = []
    for item in split.rejected:
        raw_id = quarantine_input(db, _quarantine_input(channel, item.payload), item.reason)
        rejected.append({"reason": item.reason, "quarantined": raw_id})
        log.info("raw %s: webhook %s item quarantined: %s", raw_id, channel.value, item.reason)
    return rejected


async def _refuse(db, stats: Counter, channel: ChannelName, raw: bytes, refused: Refused, keep: bool) -> web.Response:
    stats[f"{channel.value}:{refused.status}"] += 1
    body: dict[str, object] = {"error": refused.reason}
    if keep:
        try:
            body["quarantined"] = await asyncio.to_thread(
                quarantine_input, db, _quarantine_input(channel, raw), refused.reason
            )
        except Exception as exc:  # the 4xx still stands; the provider's retry brings the payload back
            # no traceback: a database error quotes the payload it could not write
            log.error("webhook %s: could not quarantine a refused body: %s", channel.value, describe_error(exc))
    else:
        log.info("webhook %s refused (%d, not kept): %s", channel.value, refused.status, refused.reason)
    return web.json_response(body, status=refused.status)


def _quarantine_input(channel: ChannelName, payload: bytes) -> RawInput:
    # Keyed by content as `intake ingest` keys it: retries, or the same body from a file, are kept once.
    return rejected_raw(channel, None, payload, f"webhook:{channel.value}")
