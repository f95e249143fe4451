"""`intake outbox list | show`: the messages we send, their delivery state, tries and last error."""

from __future__ import annotations

import json

import click
from sqlalchemy import select

from intake.cli.common import open_runtime
from intake.views import outbound_summary
from store.models import TicketMessage

STATES = ("queued", "sending", "sent", "delivered", "read", "failed", "bounced")


@click.group("outbox")
def outbox_group() -> None:
    """Outbound messages (acknowledgements, replies) and whether they went out."""


@outbox_group.command("list")
@click.option("--state", type=click.Choice(STATES), help="Only messages in this delivery state (e.g. failed).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--limit", default=200, show_default=True)
def outbox_list(state: str | None, fmt: str, limit: int) -> None:
    """List outbound messages, newest first."""
    runtime = open_runtime(needs_rules=False)
    query = select(TicketMessage).where(TicketMessage.direction == "outbound")
    if state:
        query = query.where(TicketMessage.delivery_status == state)
    with runtime.db.session() as session:
        rows = [
            outbound_summary(m) for m in session.execute(query.order_by(TicketMessage.id.desc()).limit(limit)).scalars()
        ]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        error = f"  {row['error'].splitlines()[0][:80]}" if row["error"] else ""
        click.echo(
            f"{row['id']:>6}  {row['ticket']:<11} {row['channel']:<8} {row['state'] or '':<9} "
            f"{row['attempts']:>2} tries  {', '.join(row['to'])[:40]}{error}"
        )
    click.echo(f"{len(rows)} outbound messages")


@outbox_group.command("show")
@click.argument("message_id", type=int)
def outbox_show(message_id: int) -> None:
    """One outbound message: recipients, state, tries and the full last error."""
    runtime = open_runtime(needs_rules=False)
    with runtime.db.session() as session:
        message = session.get(TicketMessage, message_id)
        if message is None or message.direction != "outbound":
            raise click.ClickException(f"no outbound message {message_id}")
        click.echo(json.dumps(outbound_summary(message) | {"text": message.text}, ensure_ascii=False, indent=2))
