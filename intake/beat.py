"""The periodic beat (APScheduler): it only *sends* Dramatiq messages; actors on any worker do the work.

Run by `intake run` (and `intake beat` for a scale-out deployment). Several beats are harmless: every
periodic actor is idempotent.
"""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from intake.core.settings import Settings


def start_beat(settings: Settings) -> BackgroundScheduler:
    """Start sending the periodic maintenance messages in a background thread; returns the scheduler."""
    from intake import actors

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
        from intake.heartbeat import check_workers

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


def _check_quietly(check, settings) -> None:
    try:
        check(settings)
    except Exception as exc:  # Redis down: the reconciler's own failure says so already
        import logging

        logging.getLogger(__name__).warning("worker heartbeat not read (%s)", exc)


def _extra_jobs():
    """Periodic jobs other packages contribute, each `(scheduler, settings) -> None`."""
    from assignment.beat import add_jobs  # the SLA timer sweeper

    return [add_jobs]
