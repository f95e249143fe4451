"""The SLA sweeper's place in the periodic beat: every `SWEEP_SECONDS` it sends `sweep_timers`, which re-sends
due timers whose delayed broker message was lost (a Redis restart keeps nothing), and `sweep_unrouted`, which
re-sends the routing of triaged tickets whose `assign_ticket` message was lost."""

from __future__ import annotations

SWEEP_SECONDS = 30


def add_jobs(scheduler, settings) -> None:
    """Add the SLA timer and routing sweepers to an APScheduler `scheduler` (each only sends a message)."""
    from intake import actors

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
