"""What the commands share: building the process runtime, draining the in-process broker, one-line errors."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
import dramatiq
from sqlalchemy import select

from intake.broker import is_in_process
from intake.core.settings import Settings, get_settings
from intake.runtime import Runtime, set_runtime
from store.db import Database
from store.migrate import upgrade
from store.models import RawItem

T = TypeVar("T")


def open_runtime(settings: Settings | None = None, *, migrate: bool = True, needs_rules: bool = True) -> Runtime:
    """The runtime for this command, with the schema brought up to date first (cheap when it already is).

    Commands that classify or assign (`needs_rules`) stop first, in one line, when the rules folder is missing.
    """
    settings = settings or get_settings()
    if needs_rules:
        require_rules_dir(settings)
    db = Database(settings.database_url)
    if migrate:
        upgrade(db)
    runtime = Runtime(settings=settings, db=db)
    set_runtime(runtime)
    return runtime


def require_rules_dir(settings: Settings) -> None:
    """A one-line command error when `rules_dir` is not a folder (instead of every item failing in the worker)."""
    folder = settings.rules_dir.absolute()
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is not a folder"
        raise click.ClickException(
            f"rules folder {folder} {what} (setting rules_dir): set rules_dir in the configuration file "
            "(relative to its folder) or INTAKE_RULES_DIR (relative to the current folder)"
        )


@contextmanager
def in_process_worker(threads: int = 1) -> Iterator[dramatiq.Worker | None]:
    """Run a Dramatiq worker in this process when the broker is the in-process one; None on Redis.

    One thread by default: a batch import is then processed in arrival order, so a reply never
    overtakes the message it answers.
    """
    # Imported when a worker is wanted, not at the top: importing it reads the settings (after `--config`) and
    # declares the actors on the broker the command has set up by then (the demo's in-process one).
    from intake import actors  # noqa: F401

    broker = dramatiq.get_broker()
    if not is_in_process(broker):
        yield None
        return
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


# Media downloads retry for minutes against a server that may be down (the demo has no WAHA server at all); a
# command does not wait for them: the attachment stays "not fetched yet" and the reconciler of a running
# service fetches it later.
BACKGROUND_QUEUES = frozenset({"media"})


def drain(worker: dramatiq.Worker | None) -> None:
    """Wait until the in-process queues a command reports on are empty and handled (no-op on Redis)."""
    if worker is None:
        return
    broker = dramatiq.get_broker()
    for queue in sorted(broker.get_declared_queues() - BACKGROUND_QUEUES):
        broker.join(queue)


def wait_for_processing(runtime: Runtime, raw_ids: list[int], timeout: float = 600) -> bool:
    """On Redis, wait until other processes' workers have processed or quarantined `raw_ids`; False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with runtime.db.session() as session:
            pending = session.execute(
                select(RawItem.id).where(RawItem.id.in_(raw_ids), RawItem.state == "pending").limit(1)
            ).first()
        if pending is None:
            return True
        time.sleep(0.5)
    return False


def echo_json(data: Any) -> None:
    """One JSON line on standard output (dates and other values as text)."""
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


def found(value: T | None, what: str) -> T:
    """`value`, or the one-line command error `no WHAT` when the store had none."""
    if value is None:
        raise click.ClickException(f"no {what}")
    return value
