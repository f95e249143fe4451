"""The SLA sweeper's place in the periodic beat: every `SWEEP_SECONDS` it sends `sweep_timers`, which re-sends
due timers whose delayed broker message was lost (a Redis restart keeps nothing)."""

from __future__ import annotations

SWEEP_SECONDS = 30


def add_jobs(scheduler, settings) -> None:
    """Add the SLA timer sweeper to an APScheduler `scheduler` (it only sends a message)."""
    from intake import actors

    scheduler.add_job(actors.sweep_timers.send, "interval", seconds=SWEEP_SECONDS, id="sweep-sla-timers",
                      max_instances=1, coalesce=True)
