"""The workers' heartbeat on Redis: when a worker last finished an inbound item, and how many wait.

Workers write it (a Dramatiq middleware, Redis brokers only); the beat reads it each reconcile period and
logs a warning when items wait and no worker finished one for a claim lease (`pipeline.claim_seconds`);
`/healthz` shows it. Nothing here ever fails a request or a message: a lost heartbeat is only a report.
"""

from __future__ import annotations

import logging
from datetime import datetime

import dramatiq
from pydantic import BaseModel

from intake.core.models import utcnow
from intake.core.settings import Settings
from intake.redis_client import redis_client

log = logging.getLogger(__name__)
INBOUND = "inbound"


def heartbeat_key(namespace: str) -> str:
    return f"{namespace}:intake-worker-heartbeat"


class WorkerHealth(BaseModel):
    """What `/healthz` and the beat report about the workers."""

    last_processed_at: datetime | None
    queue_depth: int
    stale: bool  # items wait, and no worker finished one for a claim lease


class Heartbeat(dramatiq.Middleware):
    """After each inbound message a worker finished (success or failure), record the time."""

    def after_process_message(self, broker, message, *, result=None, exception=None) -> None:
        if message.queue_name != INBOUND or not hasattr(broker, "client"):
            return
        try:
            broker.client.set(heartbeat_key(broker.namespace), utcnow().isoformat())
        except Exception as exc:  # Redis trouble: the message's own fate does not depend on this
            log.debug("worker heartbeat not written (%s)", exc)


def read_health(client, namespace: str, stale_after_seconds: float, now: datetime | None = None) -> WorkerHealth:
    """The heartbeat and the inbound queue's depth (waiting and delayed messages), from Redis."""
    now = now or utcnow()
    raw = client.get(heartbeat_key(namespace))
    last = datetime.fromisoformat(raw.decode()) if raw else None
    base = f"{namespace}:{INBOUND}"
    depth = int(client.hlen(f"{base}.msgs")) + int(client.hlen(f"{base}.DQ.msgs"))
    stale = depth > 0 and (last is None or (now - last).total_seconds() > stale_after_seconds)
    return WorkerHealth(last_processed_at=last, queue_depth=depth, stale=stale)


def check_workers(settings: Settings) -> WorkerHealth | None:
    """The beat's check: log a warning when the workers look stalled; None without Redis."""
    if not settings.redis_url:
        return None
    health = read_health(redis_client(settings), settings.redis_namespace, settings.pipeline.claim_seconds)
    if health.stale:
        since = health.last_processed_at.isoformat() if health.last_processed_at else "never"
        log.warning(
            "workers: %d inbound messages waiting, last item processed %s; is `intake worker` running?",
            health.queue_depth,
            since,
        )
    return health
