"""`intake worker`: Dramatiq's worker processes, supervised (see `supervise.py`), for scale-out on Redis."""

from __future__ import annotations

import os
import sys

import click

from intake.cli.common import open_runtime
from intake.cli.rules_gate import refuse_broken_rules
from intake.cli.supervise import supervise
from intake.core.settings import get_settings


@click.command("worker")
@click.option("--processes", default=os.cpu_count() or 2, show_default=True)
@click.option("--threads", default=4, show_default=True)
def worker_command(processes: int, threads: int) -> None:
    """Dramatiq worker processes only (scale-out on Redis): run as many as the load needs. Supervised: when a
    worker process dies (Dramatiq then stops the others), they are all started again."""
    if not get_settings().redis_url:
        raise click.ClickException("`intake worker` needs INTAKE_REDIS_URL; without Redis use `intake run`")
    refuse_broken_rules()
    open_runtime()  # migrate once before the workers start
    args = [sys.executable, "-m", "dramatiq", "intake.actors", "--processes", str(processes), "--threads", str(threads)]
    sys.exit(supervise(args))
