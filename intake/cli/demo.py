"""`intake demo`: a fresh database, the sample registry, every sample processed, then the triage table."""

from __future__ import annotations

import logging
import shlex
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from intake.broker import build_broker, use_broker
from intake.cli.common import drain, in_process_worker, open_runtime
from intake.cli.ingest import format_summary, ingest_paths, summarize
from intake.cli.rules_gate import refuse_broken_rules
from intake.cli.ticket_table import format_table
from intake.core.settings import Settings, get_settings
from intake.runtime import REGISTRY_VERSION
from intake.views import ticket_summary
from store import registry_db
from store import tickets as ticket_store
from store.cursors import set_cursor
from store.registry import load_registry

PROJECT_SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SAMPLE_FOLDERS = ("email", "whatsapp", "waha", "qcontact")


@click.command("demo")
@click.option(
    "--samples",
    "samples_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Samples folder (default: the project's samples/).",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("intake-demo"),
    show_default=True,
    help="Where the demo's SQLite database and files go (emptied first).",
)
def demo_command(samples_dir: Path | None, workdir: Path) -> None:
    """Process every sample on a fresh SQLite database with the in-process broker; print the triage table."""
    samples_dir = samples_dir or (Path("samples") if Path("samples/registry.yaml").is_file() else PROJECT_SAMPLES)
    base = get_settings()
    settings = Settings.model_validate(
        base.model_dump()
        | {
            "database_url": f"sqlite:///{workdir / 'intake.db'}",
            "data_dir": workdir / "data",
            "redis_url": None,
            "rules_dir": base.rules_dir if base.rules_dir.is_dir() else PROJECT_SAMPLES.parent / "rules",
        }
    )
    refuse_broken_rules(settings)  # before the last demo's files are deleted
    _empty_workdir(workdir)
    _use_in_process_broker(settings)
    with _quiet_logs():
        _run_demo(settings, samples_dir, workdir)


def _run_demo(settings: Settings, samples_dir: Path, workdir: Path) -> None:
    runtime = open_runtime(settings)
    with runtime.db.session() as session:
        counts = registry_db.import_registry(session, load_registry(samples_dir / "registry.yaml"))
        set_cursor(session, REGISTRY_VERSION, "demo")
    click.echo(f"registry: {counts['properties']} properties, {counts['units']} units, {counts['tenants']} tenants")
    folders = [samples_dir / name for name in SAMPLE_FOLDERS if (samples_dir / name).is_dir()]
    with in_process_worker() as worker:
        ingested = ingest_paths(runtime, folders, None)
        drain(worker)
    click.echo(format_summary(summarize(runtime, ingested)))
    with runtime.db.session() as session:
        rows = [ticket_summary(t) for t in ticket_store.list_tickets(session, limit=1000)]
    rows.sort(key=lambda r: ({"urgent": 0, "high": 1, "standard": 2, "low": 3}.get(r["urgency"] or "", 4), r["number"]))
    click.echo(format_table(rows, runtime.clock()))
    click.echo(next_steps(workdir / "intake.db", rows[0]["number"] if rows else "EML-000001"))


def next_steps(database: Path, number: str) -> str:
    """Where the demo's database is, and commands that work pasted as printed: absolute paths throughout, the
    `intake` that is running now (a venv's is often not on PATH)."""
    env = f"INTAKE_DATABASE_URL={shlex.quote(f'sqlite:///{database.resolve()}')}"
    intake = intake_command()
    return (
        f"\nThe demo's database: {database.resolve()}\nLook at it with:\n"
        f"  {env} {intake} tickets list --review\n  {env} {intake} tickets show {number}"
    )


def intake_command() -> str:
    """The `intake` script this process runs as (absolute), else the one on PATH, else `python -m …`; quoted."""
    started = Path(sys.argv[0])
    if started.name == "intake" and started.is_file():
        return shlex.quote(str(started.resolve()))
    found = shutil.which("intake")
    if found:
        return shlex.quote(str(Path(found).resolve()))
    return f"{shlex.quote(sys.executable)} -m intake.cli.main"


@contextmanager
def _quiet_logs():
    """The demo prints its summary; a log line per item is for -v. Set on our loggers, not the root (the
    in-process worker's boot sets the root level from the settings again), and put back afterwards."""
    loggers = [logging.getLogger(name) for name in ("intake", "dramatiq")]
    levels = [logger.level for logger in loggers]
    if logging.getLogger().level > logging.DEBUG:
        for logger in loggers:
            logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


DEMO_MARKER = ".intake-demo"


def _empty_workdir(workdir: Path) -> None:
    """Start from an empty folder; only a folder an earlier demo made (or an empty one) is ever emptied."""
    if workdir.exists() and any(workdir.iterdir()) and not (workdir / DEMO_MARKER).is_file():
        raise click.ClickException(
            f"{workdir} is not empty and was not made by `intake demo`: choose another --workdir"
        )
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    (workdir / DEMO_MARKER).write_text("made by `intake demo`, which empties this folder on each run\n")


def _use_in_process_broker(settings: Settings) -> None:
    use_broker(build_broker(settings))
