"""`intake rules diff OLD_DIR NEW_DIR`: what a change to the rules would change, replayed on tickets.

The tickets are a facts file (`--facts`) or the stored tickets as they arrived: classified, before any rule or
staff touched them, so both rule sets decide from the same starting point.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
import yaml
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from assignment import TicketFacts, diff_decisions
from assignment.ticket_facts import ticket_facts
from intake.cli.common import open_runtime
from intake.cli.rules import DirPath, FilePath, first_inbound_text, load_engine, parse_at
from store.models import Ticket

# What the rules and staff set after arrival, cleared so both rule sets start from the classification alone.
UNDECIDED = {
    "status": "new",
    "priority": None,
    "team": None,
    "assignee": None,
    "first_response_at": None,
    "resolved_at": None,
}


@click.command("diff")
@click.argument("old_dir", type=DirPath)
@click.argument("new_dir", type=DirPath)
@click.option(
    "--facts", "facts_file", type=FilePath, help="YAML/JSON list of ticket facts to replay instead of stored tickets."
)
@click.option("--since", help="Replay stored tickets created since this date (default: all stored tickets).")
def diff_command(old_dir: Path, new_dir: Path, facts_file: Path | None, since: str | None) -> None:
    """Replay tickets through OLD_DIR and NEW_DIR rules; print the decisions that would change, with counts."""
    old, new = load_engine(old_dir), load_engine(new_dir)
    if facts_file:
        rows = yaml.safe_load(facts_file.read_text(encoding="utf-8")) or []
        tickets = [TicketFacts.model_validate(row) for row in rows]
        if since:
            tickets = [t for t in tickets if t.created_at >= parse_at(since)]
    else:
        tickets = stored_replay_facts(parse_at(since) if since else None)
    click.echo(diff_decisions(old, new, tickets).format())


def stored_replay_facts(since: datetime | None) -> list[TicketFacts]:
    """Stored tickets (created since `since`, oldest first) as they arrived: classified, before any rule or
    staff touched them."""
    query = select(Ticket).options(selectinload(Ticket.messages)).order_by(Ticket.created_at, Ticket.number)
    if since is not None:
        query = query.where(Ticket.created_at >= since)
    with open_runtime().db.session() as session:
        return [
            ticket_facts(t, first_inbound_text(t)).model_copy(update=UNDECIDED)
            for t in session.execute(query).scalars()
        ]
