"""The periodic beat (APScheduler): it only *sends* Dramatiq messages; actors on any worker do the work.

Run by `intake run` (and `intake beat` for a scale-out deployment). Several beats are harmless: every
periodic actor is idempotent. Every `SWEEP_SECONDS` it sends `sweep_timers`, which re-sends due SLA timers whose
delayed broker message was lost (a Redis restart keeps nothing), and `sweep_unrouted`, which re-sends the
routing of triaged tickets whose `assign_ticket` message was lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from intake import actors
from intake.core.settings import Settings
from intake.heartbeat import check_workers

log = logging.getLogger(__name__)
SWEEP_SECONDS = 30


def start_beat(settings: Settings) -> BackgroundScheduler:
    """Start sending the periodic maintenance messages in a background thread; returns the scheduler."""
    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(
        actors.reconcile.send,
        "interval",
        seconds=settings.pipeline.reconcile_interval_seconds,
        id="reconcile",
        max_instances=1,
        coalesce=True,
    )
    if settings.redis_url:  # the beat, not a worker, notices workers that stopped working
        scheduler.add_job(
            _check_quietly,
            "interval",
            args=(check_workers, settings),
            seconds=settings.pipeline.reconcile_interval_seconds,
            id="worker-heartbeat",
            max_instances=1,
            coalesce=True,
        )
    for job in _extra_jobs():
        job(scheduler, settings)
    scheduler.start()
    return scheduler


def _check_quietly(check: Callable[[Settings], object], settings: Settings) -> None:
    try:
        check(settings)
    except Exception as exc:  # Redis down: the reconciler's own failure says so already
        log.warning("worker heartbeat not read (%s)", exc)


def _extra_jobs() -> list[Callable[[BackgroundScheduler, Settings | None], None]]:
    """Periodic jobs besides the reconciler, each `(scheduler, settings) -> None`."""
    return [add_sweepers]


def add_sweepers(scheduler: BackgroundScheduler, settings: Settings | None) -> None:
    """Add the SLA timer and routing sweepers to `scheduler` (each only sends a message)."""
    scheduler.add_job(
        actors.sweep_timers.send,
        "interval",
        seconds=SWEEP_SECONDS,
        id="sweep-sla-timers",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        actors.sweep_unrouted.send,
        "interval",
        seconds=SWEEP_SECONDS,
        id="sweep-unrouted-tickets",
        max_instances=1,
        coalesce=True,
    )
