"""`intake ingest PATH…`: .eml files, mbox, maildir or JSON webhook payloads, through the whole pipeline."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from tqdm import tqdm

from intake.channels.base import SourceError
from intake.channels.payload import rejected_raw
from intake.cli.common import drain, in_process_worker, open_runtime, wait_for_processing
from intake.cli.rules_gate import refuse_broken_rules
from intake.core.models import ChannelName
from intake.ingest import accept, quarantine_input
from intake.logs import describe_error
from intake.runtime import Runtime
from intake.sources import read_paths
from store.models import RawItem

BATCH = 100


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--channel",
    type=click.Choice([c.value for c in ChannelName if c != ChannelName.INTERNAL]),
    help="Channel of JSON payload files (default: from the folder name, else email).",
)
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="On Redis, wait for the workers to finish before printing the summary.",
)
def ingest_command(paths: tuple[Path, ...], channel: str | None, wait: bool) -> None:
    """Store every item found in PATHS and process it; prints what became of them.

    \b
    Exit codes:
      0  every item found was stored (or was a duplicate) and processed
      1  an error: a source could not be read, or the configuration is wrong
      2  usage error (a path that does not exist, an unknown option)
      3  nothing found to ingest in PATHS
      4  some items were quarantined (`intake quarantine list`); the others were processed
      5  some items are stored but still pending (--no-wait, or the workers had not finished)
    """
    refuse_broken_rules()
    runtime = open_runtime()
    with in_process_worker() as worker:
        try:
            summary = ingest_paths(runtime, list(paths), ChannelName(channel) if channel else None)
        except SourceError as exc:  # items stored before it are kept and processed; the rest stay on disk
            drain(worker)
            raise click.ClickException(str(exc)) from None
        except DBAPIError as exc:  # "database is locked", connection lost: no fault of the item, nothing kept
            drain(worker)
            raise click.ClickException(
                f"the database failed, ingest stopped (items stored before it are kept; "
                f"run it again to store the rest): {describe_error(exc)[:300]}"
            ) from None
        drain(worker)
        if worker is None and wait and not wait_for_processing(runtime, summary["raw_ids"]):
            click.echo("the workers have not finished after 600 s: items still pending are counted as such", err=True)
    counts = summarize(runtime, summary)
    click.echo(format_summary(counts))
    code = exit_code(counts)
    if code == EXIT_NOTHING_FOUND:
        click.echo(f"nothing to ingest in {', '.join(map(str, paths))}", err=True)
    raise SystemExit(code)


EXIT_NOTHING_FOUND, EXIT_QUARANTINED, EXIT_PENDING = 3, 4, 5


def exit_code(counts: Counter) -> int:
    """0 all stored and processed, 3 nothing found, 4 some quarantined, 5 some still pending (see `intake
    ingest --help`); pending wins over quarantined: what was not processed yet cannot be called done."""
    if counts["pending"]:
        return EXIT_PENDING
    if counts["quarantined"]:
        return EXIT_QUARANTINED
    if not any(counts.values()):
        return EXIT_NOTHING_FOUND
    return 0


def ingest_paths(runtime: Runtime, paths: list[Path], channel: ChannelName | None) -> dict:
    """Accept everything in `paths` in batches; returns the raw ids touched and the duplicate count."""
    raw_ids: list[int] = []
    duplicates = 0
    batch = []
    items = tqdm(read_paths(paths, channel), desc="ingest", unit="item", disable=None, leave=False)
    for item in items:
        if item.problem:
            click.echo(f"{item.raw.source}: quarantined: {item.problem}", err=True)
            raw_ids.append(quarantine_input(runtime.db, item.raw, item.problem))
            continue
        batch.append(item.raw)
        if len(batch) >= BATCH:
            duplicates += _accept(runtime, batch, raw_ids)
            batch = []
    if batch:
        duplicates += _accept(runtime, batch, raw_ids)
    return {"raw_ids": raw_ids, "duplicates": duplicates}


def _accept(runtime: Runtime, batch, raw_ids: list[int]) -> int:
    try:
        results = accept(runtime.db, batch)
    except Exception as exc:  # one item the store refuses must not stop the others: store them one by one
        if not _is_item_specific(exc):
            raise
        if len(batch) == 1:
            return _quarantine_unstorable(runtime, batch[0], exc, raw_ids)
        return sum(_accept(runtime, [raw], raw_ids) for raw in batch)
    raw_ids.extend(r.raw_id for r in results if not r.duplicate)
    return sum(r.duplicate for r in results)


def _is_item_specific(exc: Exception) -> bool:
    """Whether the store refused this item (its values), not the run: an OperationalError such as "database
    is locked" while `intake run` writes says nothing about the mail, which must not be quarantined for it."""
    if isinstance(exc, (IntegrityError, DataError)):
        return True
    if isinstance(exc, DBAPIError):  # OperationalError, InterfaceError…: the database, not the item
        return False
    return isinstance(exc, (StatementError, ValueError, TypeError))  # a value the driver cannot bind


def _quarantine_unstorable(runtime: Runtime, raw, exc: Exception, raw_ids: list[int]) -> int:
    """Keep the bytes under a content-hash key with the store's reason (a database outage raises again here)."""
    reason = f"cannot be stored as received: {describe_error(exc)[:300]}"
    click.echo(f"{raw.source}: quarantined: {reason}", err=True)
    raw_ids.append(
        quarantine_input(
            runtime.db, rejected_raw(raw.channel, None, raw.payload, raw.source or "ingest", raw.content_type), reason
        )
    )
    return 0


def summarize(runtime: Runtime, ingested: dict) -> Counter:
    """Count outcomes of the raw items of one ingest run."""
    counts: Counter = Counter(duplicates=ingested["duplicates"])
    with runtime.db.session() as session:
        rows = session.execute(select(RawItem.state, RawItem.outcome).where(RawItem.id.in_(ingested["raw_ids"]))).all()
    for state, outcome in rows:
        outcome = outcome or ""
        if state == "quarantined":
            counts["quarantined"] += 1
        elif state == "pending":
            counts["pending"] += 1
        elif outcome.startswith("new ticket"):
            counts["new tickets"] += 1
        elif outcome.startswith("threaded"):
            counts["threaded replies"] += 1
        elif outcome.startswith("delivery report"):
            counts["delivery reports"] += 1
        else:
            counts["dropped (automatic, empty)"] += 1
    return counts


def format_summary(counts: Counter) -> str:
    order = [
        "new tickets",
        "threaded replies",
        "duplicates",
        "quarantined",
        "dropped (automatic, empty)",
        "delivery reports",
        "pending",
    ]
    return "  ".join(f"{name}: {counts.get(name, 0)}" for name in order if counts.get(name) or name in order[:4])
