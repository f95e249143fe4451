"""The aiohttp application factory. Webhook routes come from `intake.web.webhooks`; handlers run their
database work in threads so one slow commit never stalls the event loop."""

from __future__ import annotations

import asyncio
import gc

from aiohttp import web
from sqlalchemy import text

from intake.core.settings import Settings
from intake.heartbeat import read_health
from intake.redis_client import redis_client
from intake.web import webhooks
from store.db import Database

SETTINGS_KEY = web.AppKey("settings", Settings)
DB_KEY = web.AppKey("db", Database)


def create_app(settings: Settings, db: Database) -> web.Application:
    """The web application: `/healthz` plus every channel's webhook routes."""
    app = web.Application(client_max_size=settings.limits.webhook_body_max_bytes)
    app[SETTINGS_KEY] = settings
    app[DB_KEY] = db
    app.router.add_get("/healthz", _health)
    webhooks.add_routes(app, settings, db)
    app.on_startup.append(_settle_heap)
    app.on_cleanup.append(_release_heap)
    return app


async def _settle_heap(_app: web.Application) -> None:
    """Move everything loaded at start-up out of the collector's sight (`gc.freeze`): a full collection then
    walks only what requests created since, instead of stalling every open request for tens of ms."""
    gc.collect()
    gc.freeze()


async def _release_heap(_app: web.Application) -> None:
    gc.unfreeze()  # an app stopped inside a longer-lived process (tests) leaves nothing uncollectable


async def _health(request: web.Request) -> web.Response:
    """The database and Redis, each with a real round trip, and the workers' heartbeat: last item processed,
    inbound queue depth, stale or not. Only the database decides the status code (503 when it is down, so a
    load balancer notices): without Redis, or without workers, this process still stores every delivery (the
    reconciler sends their messages later), so those are reported in the body ("status": "degraded"), never a
    503 that would pull every web instance during a Redis outage."""
    settings, db = request.app[SETTINGS_KEY], request.app[DB_KEY]
    body: dict = {"status": "ok", "database": "ok", "redis": "not used"}
    try:
        await asyncio.to_thread(_ping_database, db)
    except Exception as exc:  # report, never crash the server
        body["status"], body["database"] = "error", type(exc).__name__
    if settings.redis_url:
        try:
            body["workers"] = await asyncio.to_thread(_redis_health, settings)
            body["redis"] = "ok"
        except Exception as exc:  # bounded by broker.*_timeout_seconds
            body["redis"] = type(exc).__name__
            if body["status"] == "ok":
                body["status"] = "degraded"
    return web.json_response(body, status=503 if body["database"] != "ok" else 200)


def _ping_database(db: Database) -> None:
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _redis_health(settings: Settings) -> dict:
    client = redis_client(settings)
    try:
        client.ping()
        return read_health(client, settings.redis_namespace, settings.pipeline.claim_seconds).model_dump(mode="json")
    finally:
        client.close()
