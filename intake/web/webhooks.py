"""Webhook routes of the push channels: WhatsApp Cloud API, WAHA and QContact.

The edge of the pipeline, in this order: read the body (capped while reading) → authenticate the raw
bytes → check the content type → split into raw items → `accept` (one commit) → 200. Nothing else
happens in the request. Bad input gets a 4xx with a JSON error naming the problem; if the sender was
authenticated the payload is kept in quarantine with the reason, otherwise it is only counted and logged.
A failure of ours (database down) answers 503 so the provider retries; the server never answers 500.
Every signed body we can never process is answered 4xx *and* kept (store-then-quarantine), the same on all
three routes: a retry would bring the same bytes back, and only a kept copy lets someone replay it once fixed.
400: not JSON, or nested past `limits.json_max_depth`; 422: a control character in an id, a wrong field type.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from intake.channels.chat import PayloadError, Split
from intake.channels.qcontact.mapping import load_mapping
from intake.channels.qcontact.payload import read_qcontact_payload
from intake.channels.split_payload import split_or_reject
from intake.channels.waha.payload import read_waha_payload
from intake.channels.waha.signature import verify_waha_hmac
from intake.channels.whatsapp.payload import read_cloud_payload
from intake.channels.whatsapp.signature import verify_meta_signature
from intake.core.errors import SenderError
from intake.core.models import ChannelName, RawInput
from intake.core.settings import Settings
from intake.ingest import quarantine_input
from intake.logs import describe_error
from intake.sources import rejected_raw
from intake.web.batching import AcceptBatcher

log = logging.getLogger(__name__)
WEBHOOK_STATS = web.AppKey("webhook_stats", Counter)
ACCEPT_BATCHER = web.AppKey("accept_batcher", AcceptBatcher)
INLINE_SPLIT_BYTES = 64 * 1024  # smaller bodies are split on the loop: a thread hop would cost more


class Refused(SenderError):
    """Ends a request with a JSON error; `keep` says whether the body is quarantined (authenticated only)."""

    def __init__(self, status: int, reason: str, keep: bool = False) -> None:
        super().__init__(reason)
        self.status, self.reason, self.keep = status, reason, keep


@dataclass(frozen=True)
class Route:
    """What differs between the push channels: how to authenticate and how to split a body."""

    channel: ChannelName
    authenticate: Callable[[bytes, web.Request], bool]  # raises Refused; False: accepted unverified (no key)
    split: Callable[[bytes], Split]  # raises PayloadError


def add_routes(app: web.Application, settings: Settings, db) -> None:
    """Add GET/POST /webhooks/whatsapp, POST /webhooks/waha and POST /webhooks/qcontact to `app`."""
    stats: Counter = Counter()
    app[WEBHOOK_STATS] = stats
    batcher = app[ACCEPT_BATCHER] = AcceptBatcher(db, enqueue_wait=settings.broker.enqueue_wait_seconds)
    app.on_cleanup.append(lambda _app: batcher.close())
    mapping = load_mapping(settings.qcontact.mapping_file)  # a bad mapping file fails at start-up
    depth = settings.limits.json_max_depth  # deeper bodies: 400, kept in quarantine (see load_json_object)
    routes = {
        "whatsapp": Route(
            ChannelName.WHATSAPP, _meta_auth(settings), lambda raw: read_cloud_payload(raw, max_depth=depth)
        ),
        "waha": Route(ChannelName.WAHA, _waha_auth(settings), lambda raw: read_waha_payload(raw, max_depth=depth)),
        "qcontact": Route(
            ChannelName.QCONTACT,
            _qcontact_auth(settings),
            lambda raw: read_qcontact_payload(raw, mapping, max_depth=depth),
        ),
    }
    app.router.add_get("/webhooks/whatsapp", _verify_handler(settings, stats))
    for name, route in routes.items():
        app.router.add_post(f"/webhooks/{name}", _receive_handler(route, settings, db, stats, batcher))


def _verify_handler(settings: Settings, stats: Counter):
    async def verify(request: web.Request) -> web.Response:
        """Meta's subscription handshake: echo `hub.challenge` when the verify token matches."""
        expected = settings.whatsapp.verify_token
        token = request.query.get("hub.verify_token", "")
        challenge = request.query.get("hub.challenge", "")
        if (
            request.query.get("hub.mode") == "subscribe"
            and expected
            and expected.get_secret_value()
            and hmac.compare_digest(token.encode(), expected.get_secret_value().encode())
            and 0 < len(challenge) <= 256
        ):
            return web.Response(text=challenge, content_type="text/plain")
        stats["whatsapp:verify-refused"] += 1
        log.info("whatsapp verification refused from %s", request.remote)
        return web.json_response({"error": "verification failed"}, status=403)

    return verify


def _receive_handler(route: Route, settings: Settings, db, stats: Counter, batcher: AcceptBatcher):
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


async def _store(db, batcher: AcceptBatcher, route: Route, raw: bytes) -> dict:
    """Split, store the good items (group commit), quarantine the bad ones; the answer's JSON body."""

    def split(body: bytes) -> Split:  # an unforeseen shape is the sender's too: a 503 would be retried for ever
        return split_or_reject(route.split, body, route.channel)

    try:
        split = split(raw) if len(raw) <= INLINE_SPLIT_BYTES else await asyncio.to_thread(split, raw)
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
    body = {"error": refused.reason}
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


def _meta_auth(settings: Settings) -> Callable[[bytes, web.Request], bool]:
    def authenticate(raw: bytes, request: web.Request) -> None:
        secret = settings.whatsapp.app_secret
        if not secret or not secret.get_secret_value():
            log.error("webhook whatsapp: whatsapp.app_secret is not configured; refusing deliveries")
            raise Refused(503, "whatsapp.app_secret is not configured")
        header = request.headers.get("X-Hub-Signature-256")
        if not verify_meta_signature(raw, header, secret):
            raise Refused(401, "missing X-Hub-Signature-256" if not header else "invalid X-Hub-Signature-256")
        return True

    return authenticate


def _waha_auth(settings: Settings) -> Callable[[bytes, web.Request], bool]:
    def authenticate(raw: bytes, request: web.Request) -> None:
        key = settings.waha.hmac_key
        if not key or not key.get_secret_value():
            if settings.waha.allow_unsigned:
                return False  # chosen on purpose: the deployment relies on a private network instead
            log.error("webhook waha: waha.hmac_key is not configured (nor waha.allow_unsigned); refusing deliveries")
            raise Refused(503, "waha.hmac_key is not configured")
        header = request.headers.get("X-Webhook-Hmac")
        if not verify_waha_hmac(raw, header, key, request.headers.get("X-Webhook-Hmac-Algorithm")):
            raise Refused(401, "missing X-Webhook-Hmac" if not header else "invalid X-Webhook-Hmac")
        return True

    return authenticate


def _qcontact_auth(settings: Settings) -> Callable[[bytes, web.Request], bool]:
    def authenticate(raw: bytes, request: web.Request) -> None:
        secret = settings.qcontact.webhook_secret
        if not secret or not secret.get_secret_value():
            log.error("webhook qcontact: qcontact.webhook_secret is not configured; refusing deliveries")
            raise Refused(503, "qcontact.webhook_secret is not configured")
        given = request.headers.get(settings.qcontact.webhook_token_header) or request.query.get("token") or ""
        if not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
            raise Refused(401, f"missing or wrong {settings.qcontact.webhook_token_header}")
        return True

    return authenticate
