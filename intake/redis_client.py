"""The one way to open Redis: a client whose connects and commands give up after `broker.*_timeout_seconds`,
shared by the broker, the workers' heartbeat and `/healthz`."""

from __future__ import annotations

import redis

from intake.core.settings import Settings


def redis_client(settings: Settings) -> redis.Redis:
    """A Redis client whose connects and commands give up after `broker.*_timeout_seconds`."""
    return redis.Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=settings.broker.connect_timeout_seconds,
        socket_timeout=settings.broker.socket_timeout_seconds,
    )
