"""What a short-lived command sent, without Redis: the in-process broker lives in the command's memory and dies
with it. `settled_messages` lets the command work, then runs an in-process worker on what is ready (the routing
after triage, an overdue timer), and hands the SLA timer messages delayed past its exit back to the database
(the timer row's `sent_at` cleared), where the running service's sweeper arms them again within its horizon.
On Redis it does nothing: the messages are in Redis, for the workers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

import dramatiq
from dramatiq.common import join_queue
from sqlalchemy import select

from assignment.timers import SCHEDULED
from intake.broker import is_in_process
from intake.cli.common import BACKGROUND_QUEUES
from intake.runtime import Runtime
from store.models import SlaTimer

log = logging.getLogger(__name__)
TIMER_ACTOR = "check_sla"


class DelayedTimers(dramatiq.Middleware):
    """Remembers the delayed `check_sla` messages enqueued on this broker until a worker processed one; a
    failed one stays (its retry is delayed too)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, tuple] = {}

    def after_enqueue(self, broker, message, delay) -> None:
        if delay is not None and message.actor_name == TIMER_ACTOR:
            with self._lock:
                self._pending[message.message_id] = tuple(message.args)

    def after_process_message(self, broker, message, *, result=None, exception=None) -> None:
        if exception is None:
            self.after_skip_message(broker, message)

    def after_skip_message(self, broker, message) -> None:
        with self._lock:
            self._pending.pop(message.message_id, None)

    def pending(self) -> list[tuple]:
        """(ticket id, kind, due at) of each timer message not processed yet."""
        with self._lock:
            return list(self._pending.values())


@contextmanager
def settled_messages(runtime: Runtime) -> Iterator[None]:
    """Run the body (a command that sends broker messages), then settle what it sent before the process exits:
    ready messages are processed here, delayed timers are handed back to the sweeper. No-op on Redis."""
    # Imported here, not at the top: importing it reads the settings (after `--config`) and declares the actors.
    from intake import actors  # noqa: F401

    broker = dramatiq.get_broker()
    if not is_in_process(broker):
        yield
        return
    timers = DelayedTimers()
    broker.add_middleware(timers)
    try:
        yield
        if _has_ready(broker):
            _work_off_ready(broker)
    finally:
        broker.middleware.remove(timers)
        handed = hand_back_timers(runtime, timers.pending())
        if handed:
            log.info("%d SLA timer message(s) left to the service's sweeper", handed)


def _ready_queues(broker) -> list[str]:
    return sorted(broker.get_declared_queues() - broker.get_declared_delay_queues() - BACKGROUND_QUEUES)


def _has_ready(broker) -> bool:
    return any(broker.queues[name].unfinished_tasks for name in _ready_queues(broker))


def _work_off_ready(broker) -> None:
    """Process the ready messages with a worker of this process, then stop it (not joined: its delay queue would
    hold the command until the timers' eta). It builds no classifier at boot: routing and timers need none."""
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    worker.settles_heap = False
    worker.start()
    try:
        _join_ready(broker)
    finally:
        worker.stop()


def _join_ready(broker) -> None:
    """Wait until every ready (not delayed) queue is empty and handled; a message may send to another queue."""
    while _has_ready(broker):
        for name in _ready_queues(broker):
            join_queue(broker.queues[name])


def hand_back_timers(runtime: Runtime, messages: Iterable[tuple]) -> int:
    """Mark the timers these `check_sla` messages were for as not sent, so that the sweeper arms them again;
    returns how many rows it changed (a timer fired, cancelled or re-planned since is left alone)."""
    wanted = {(ticket_id, kind, datetime.fromisoformat(due)) for ticket_id, kind, due in messages}
    if not wanted:
        return 0
    handed = 0
    with runtime.db.session() as session:
        rows = session.execute(
            select(SlaTimer).where(
                SlaTimer.ticket_id.in_({ticket_id for ticket_id, _, _ in wanted}),
                SlaTimer.state == SCHEDULED,
                SlaTimer.sent_at.is_not(None),
            )
        ).scalars()
        for row in rows:
            if (row.ticket_id, row.kind, row.due_at) in wanted:  # compared in Python: SQLite keeps no time zone
                row.sent_at = None
                handed += 1
    return handed
