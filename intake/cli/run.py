"""`intake run | serve | beat`: the service in one process, or its web and beat parts for scale-out."""

from __future__ import annotations

import signal
import threading

import click
import dramatiq
from aiohttp import web

from intake.beat import start_beat
from intake.cli.common import open_runtime
from intake.cli.rules_gate import refuse_broken_rules
from intake.pollers import start_pollers
from intake.runtime import Runtime
from intake.web.app import create_app


@click.command("run")
@click.option("--host", default=None, help="Listen address (default web.host).")
@click.option("--port", default=None, type=int, help="Listen port (default web.port).")
@click.option("--threads", default=4, show_default=True, help="Worker threads in this process.")
def run_command(host: str | None, port: int | None, threads: int) -> None:
    """The whole service in one process: web server, pollers, workers and the periodic beat."""
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
    runtime = open_runtime()
    if not runtime.settings.redis_url:
        click.echo("note: no INTAKE_REDIS_URL: stored items are processed by the reconciler of `intake run`", err=True)
    web.run_app(
        create_app(runtime.settings, runtime.db),
        host=host or runtime.settings.web.host,
        port=port or runtime.settings.web.port,
        print=click.echo,
    )


@click.command("beat")
def beat_command() -> None:
    """The periodic beat alone (reconciler, SLA sweeper): sends messages for workers on Redis."""
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

    def __enter__(self) -> dramatiq.Worker:
        # Imported here, not at the top: importing it reads the settings (after `--config`) and declares the actors.
        from intake import actors  # noqa: F401

        self.worker = dramatiq.Worker(dramatiq.get_broker(), worker_threads=self.threads)
        self.worker.start()
        return self.worker

    def __exit__(self, *exc) -> None:
        self.worker.stop()


def _add_pollers(app: web.Application, runtime: Runtime) -> None:
    """Pull channels (IMAP, QContact) run as background tasks of the web app's event loop."""
    app.cleanup_ctx.append(start_pollers(runtime))
