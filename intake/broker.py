"""The Dramatiq broker: Redis when `INTAKE_REDIS_URL` is set, else an in-process one for the zero-setup demo.

Actors are declared once (in `intake.actors`) and re-bound here when a process picks its broker, so the same
actor code runs on Redis in production and in-process in the demo and in tests.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

from intake.core.settings import Settings
from intake.heartbeat import Heartbeat
from intake.redis_client import redis_client
from intake.runtime import get_runtime

log = logging.getLogger(__name__)
_ACTORS: list[dramatiq.Actor] = []
_current: dramatiq.Broker | None = None


class SettledHeap(dramatiq.Middleware):
    """A worker builds its classifier at boot, then moves all it loaded out of the collector's sight
    (`gc.freeze`): full collections then walk only what messages create, not spaCy's and the rules' objects
    (measured in-process: garbage collection 0.64 -> 0.23 ms a mail). The first message no longer waits for
    the models either."""

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if not getattr(worker, "settles_heap", True):  # a command's short-lived worker (intake.cli.settle)
            return
        try:
            get_runtime().classifier()
        except Exception as exc:  # e.g. the database not up yet: the first message builds it instead
            log.warning("classifier not built at worker boot (%s)", exc)
        gc.collect()
        gc.freeze()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if not getattr(worker, "settles_heap", True):
            return
        gc.unfreeze()  # a worker stopped inside a longer-lived process (tests) leaves nothing uncollectable


class ExitOnDeadThread(dramatiq.Middleware):
    """A worker thread ended by an exception outside its actor (Dramatiq's time limit can strike inside Dramatiq's
    own retry middleware) leaves its process alive, holding prefetched messages nobody will process: Redis gives
    them back only once the process is gone, and the reconciler leaves them be while the broker holds them. So a
    Dramatiq worker process whose thread dies exits: `dramatiq` stops its siblings, `intake worker` starts them
    all again, and the broker re-delivers what the dead process held (as after a SIGKILL)."""

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if multiprocessing.parent_process() is None:  # not a `dramatiq` worker process (a test, a command)
            return
        threading.excepthook = exit_on_uncaught


DEAD_THREAD_EXIT = 70  # EX_SOFTWARE


def exit_on_uncaught(args: threading.ExceptHookArgs) -> None:
    """`threading.excepthook` of a worker process: say which thread died of what, then end the process."""
    thread = args.thread.name if args.thread else "?"
    log.critical(
        "thread %s died of %s: %s; this worker process exits to be started again",
        thread,
        args.exc_type.__name__,
        args.exc_value,
    )
    logging.shutdown()
    os._exit(DEAD_THREAD_EXIT)


def build_broker(settings: Settings) -> dramatiq.Broker:
    """A new broker for these settings (not yet global); on Redis every call is bounded by `broker.*` timeouts."""
    if settings.redis_url:
        broker = RedisBroker(
            client=redis_client(settings),
            namespace=settings.redis_namespace,
            heartbeat_timeout=int(settings.broker.dead_worker_seconds * 1000),
            maintenance_chance=settings.broker.maintenance_per_million,
        )
        broker.add_middleware(Heartbeat())
        broker.add_middleware(ExitOnDeadThread())
    else:
        broker = StubBroker()
    broker.add_middleware(SettledHeap())
    return broker


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


def held_messages(broker: dramatiq.Broker, queue_name: str, message_ids: list[str]) -> set[str] | None:
    """Which of `message_ids` the broker still holds for `queue_name` (waiting, delayed or being worked on);
    None when this broker cannot tell (the in-process one) or cannot answer now."""
    if not isinstance(broker, RedisBroker):
        return None
    if not message_ids:
        return set()
    base = f"{broker.namespace}:{queue_name}"
    try:
        held: set[str] = set()
        for key in (
            f"{base}.msgs",
            f"{base}.DQ.msgs",
        ):  # dramatiq's hashes of the queue's and its delay queue's messages
            held |= {mid for mid, body in zip(message_ids, broker.client.hmget(key, message_ids)) if body is not None}
        return held
    except Exception as exc:  # Redis down or hung (bounded by its timeouts): judge by the send time alone
        log.warning("could not ask the broker which messages it holds (%s)", exc)
        return None
