"""`intake run | serve | worker | beat`: the service in one process, or its parts for scale-out."""

from __future__ import annotations

import logging
import os
import sys

import click

from intake.cli.common import open_runtime
from intake.cli.rules_gate import refuse_broken_rules
from intake.core.settings import get_settings

log = logging.getLogger(__name__)


@click.command("run")
@click.option("--host", default=None, help="Listen address (default web.host).")
@click.option("--port", default=None, type=int, help="Listen port (default web.port).")
@click.option("--threads", default=4, show_default=True, help="Worker threads in this process.")
def run_command(host: str | None, port: int | None, threads: int) -> None:
    """The whole service in one process: web server, pollers, workers and the periodic beat."""
    from aiohttp import web

    from intake.beat import start_beat
    from intake.web.app import create_app

    refuse_broken_rules()
    runtime = open_runtime()
    settings = runtime.settings
    with _worker_threads(threads):
        beat = start_beat(settings)
        app = create_app(settings, runtime.db)
        _add_pollers(app, runtime)
        try:
            web.run_app(app, host=host or settings.web.host, port=port or settings.web.port, print=click.echo)
        finally:
            beat.shutdown(wait=False)


@click.command("serve")
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
def serve_command(host: str | None, port: int | None) -> None:
    """The web process alone (webhooks); needs Redis so that separate workers receive the work."""
    from aiohttp import web

    from intake.web.app import create_app

    runtime = open_runtime()
    if not runtime.settings.redis_url:
        click.echo("note: no INTAKE_REDIS_URL: stored items are processed by the reconciler of `intake run`", err=True)
    web.run_app(
        create_app(runtime.settings, runtime.db),
        host=host or runtime.settings.web.host,
        port=port or runtime.settings.web.port,
        print=click.echo,
    )


@click.command("worker")
@click.option("--processes", default=os.cpu_count() or 2, show_default=True)
@click.option("--threads", default=4, show_default=True)
def worker_command(processes: int, threads: int) -> None:
    """Dramatiq worker processes only (scale-out on Redis): run as many as the load needs. Supervised: when a
    worker process dies (Dramatiq then stops the others), they are all started again."""
    from intake.cli.supervise import supervise

    if not get_settings().redis_url:
        raise click.ClickException("`intake worker` needs INTAKE_REDIS_URL; without Redis use `intake run`")
    refuse_broken_rules()
    open_runtime()  # migrate once before the workers start
    args = [sys.executable, "-m", "dramatiq", "intake.actors", "--processes", str(processes), "--threads", str(threads)]
    sys.exit(supervise(args))


@click.command("beat")
def beat_command() -> None:
    """The periodic beat alone (reconciler, SLA sweeper): sends messages for workers on Redis."""
    import signal
    import threading

    from intake.beat import start_beat

    runtime = open_runtime()
    beat = start_beat(runtime.settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    beat.shutdown(wait=False)


class _worker_threads:
    """Worker threads inside `intake run`: on the in-process broker, or consuming from Redis."""

    def __init__(self, threads: int) -> None:
        self.threads = threads

    def __enter__(self):
        import dramatiq

        from intake import actors  # noqa: F401

        self.worker = dramatiq.Worker(dramatiq.get_broker(), worker_threads=self.threads)
        self.worker.start()
        return self.worker

    def __exit__(self, *exc) -> None:
        self.worker.stop()


def _add_pollers(app, runtime) -> None:
    """Pull channels (IMAP, QContact) run as background tasks of the web app's event loop."""
    from intake.pollers import start_pollers

    app.cleanup_ctx.append(start_pollers(runtime))


def register(group: click.Group) -> None:
    for command in (run_command, serve_command, worker_command, beat_command):
        group.add_command(command)
