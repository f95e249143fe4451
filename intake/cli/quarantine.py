"""`intake quarantine list|show|retry`: what could not be processed, why, and replay once fixed."""

from __future__ import annotations

import json

import click
from sqlalchemy import select

from intake.cli.common import drain, found, in_process_worker, open_runtime
from intake.views import raw_summary
from store.models import RawItem
from store.raw import QUARANTINED, release_for_retry


@click.group("quarantine")
def quarantine_group() -> None:
    """Items kept aside: unparseable mail, bad payloads, items that failed every attempt."""


@quarantine_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def quarantine_list(fmt: str) -> None:
    """List quarantined items with the reason."""
    runtime = open_runtime(needs_rules=False)
    with runtime.db.session() as session:
        rows = [
            raw_summary(r)
            for r in session.execute(select(RawItem).where(RawItem.state == QUARANTINED).order_by(RawItem.id)).scalars()
        ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['id']:>6}  {row['channel']:<9} {row['received_at'][:19]}  attempts {row['attempts']}  {row['error']}"
        )
    click.echo(f"{len(rows)} quarantined")


@quarantine_group.command("show")
@click.argument("raw_id", type=int)
@click.option("--raw", "show_raw", is_flag=True, help="Print the stored bytes too.")
def quarantine_show(raw_id: int, show_raw: bool) -> None:
    """Show one item: where it came from, the full error, and optionally its raw content."""
    runtime = open_runtime(needs_rules=False)
    with runtime.db.session() as session:
        item = found(session.get(RawItem, raw_id), f"raw item {raw_id}")
        data = raw_summary(item) | {"error": item.error}
        payload = item.payload
    click.echo(json.dumps(data, indent=2))
    if show_raw:
        click.echo(payload.decode("utf-8", errors="replace"))


@quarantine_group.command("retry")
@click.argument("raw_ids", nargs=-1, type=int)
@click.option("--all", "retry_all", is_flag=True, help="Retry every quarantined item.")
def quarantine_retry(raw_ids: tuple[int, ...], retry_all: bool) -> None:
    """Put items back into processing with a fresh attempt budget."""
    if not raw_ids and not retry_all:
        raise click.UsageError("name raw ids or pass --all")
    runtime = open_runtime()
    with runtime.db.session() as session:
        ids = list(raw_ids) or list(session.execute(select(RawItem.id).where(RawItem.state == QUARANTINED)).scalars())
        released = release_for_retry(session, ids)
        ids = list(session.execute(select(RawItem.id).where(RawItem.id.in_(ids), RawItem.state == "pending")).scalars())
    # the actors choose the broker from the settings when imported: only after the command read its --config
    from intake.actors import send_for_processing

    with in_process_worker() as worker:
        send_for_processing(ids)
        drain(worker)
    with runtime.db.session() as session:
        states = dict(session.execute(select(RawItem.id, RawItem.state).where(RawItem.id.in_(ids))).all())
    done = sum(1 for s in states.values() if s == "processed")
    click.echo(
        f"retried {released}: {done} processed, {sum(1 for s in states.values() if s == QUARANTINED)} quarantined again, "
        f"{sum(1 for s in states.values() if s == 'pending')} pending"
    )
