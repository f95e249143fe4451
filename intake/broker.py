"""The Dramatiq broker: Redis when `INTAKE_REDIS_URL` is set, else an in-process one for the zero-setup demo.

Actors are declared once (in `intake.actors`) and re-bound here when a process picks its broker, so the same
actor code runs on Redis in production and in-process in the demo and in tests.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

from intake.config import Settings

_ACTORS: list[dramatiq.Actor] = []
_current: dramatiq.Broker | None = None


def build_broker(settings: Settings) -> dramatiq.Broker:
    """A new broker for these settings (not yet global)."""
    if settings.redis_url:
        return RedisBroker(url=settings.redis_url, namespace=settings.redis_namespace)
    return StubBroker()


def register_actor(actor: dramatiq.Actor) -> dramatiq.Actor:
    """Remember an actor so `use_broker` can move it to whichever broker the process uses."""
    _ACTORS.append(actor)
    return actor


def use_broker(broker: dramatiq.Broker) -> dramatiq.Broker:
    """Make `broker` the global broker and declare every registered actor on it."""
    global _current
    _current = broker
    dramatiq.set_broker(broker)
    for actor in _ACTORS:
        actor.broker = broker
        broker.declare_actor(actor)
    return broker


def is_in_process(broker: dramatiq.Broker) -> bool:
    return isinstance(broker, StubBroker)


def ensure_broker(settings: Settings) -> dramatiq.Broker:
    """The broker this process chose, choosing it from `settings` on first call."""
    return _current if _current is not None else use_broker(build_broker(settings))
