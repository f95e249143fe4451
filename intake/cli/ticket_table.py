"""The ticket table of `tickets list` and `intake demo`, drawn with rich.

On a terminal it fits the terminal's width (long subjects and review reasons wrap first, names last) and may use
colour; piped or redirected it has no colour codes and is as wide as its longest cells, so nothing is cut.
"""

from __future__ import annotations

import io
import shutil
import sys
from datetime import datetime

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from intake.cli.display import DASH, format_age, format_due, shown
from intake.core.models import utcnow

WRAPPED_MIN_WIDTH = 12  # review reasons and subjects wrap on a narrow terminal, down to this
EMERGENCY_MARK = "⚠"
PIPED_WIDTH = 100_000  # no limit in practice: a table only takes the width its cells need


def ticket_table(rows: list[dict], now: datetime) -> Table:
    """One row a ticket (rows as `views.ticket_summary` makes them), ages and due times relative to `now`."""
    table = Table(
        box=box.SIMPLE_HEAD, padding=(0, 1), collapse_padding=True, pad_edge=False, show_edge=False, header_style="bold"
    )
    for name in ("number", "status", "urgency", "age"):
        table.add_column(name, no_wrap=True)
    table.add_column("next due", min_width=11)  # the time, then what is left, on a second line when narrow
    table.add_column("category", overflow="fold")
    for name in ("property", "team", "assignee"):
        table.add_column(name, no_wrap=True)
    table.add_column("review", min_width=WRAPPED_MIN_WIDTH, ratio=1)
    table.add_column("subject", min_width=WRAPPED_MIN_WIDTH, ratio=1)
    for row in rows:
        category = "/".join(part for part in (row["category"], row["subcategory"]) if part) or DASH
        place = " ".join(part for part in (row["property_id"], row["unit"]) if part) or DASH
        reasons = ("; ".join(row.get("review_reasons") or []) or "yes") if row["needs_review"] else ""
        if is_pinned(row):
            reasons = "; ".join(filter(None, [emergency_note(row["possible_emergency"]), reasons]))
        cells = (
            row["number"],
            row["status"],
            shown(row["urgency"]),
            format_age(row["created_at"], now),
            format_due(row.get("next_due"), now, year=False),
            category,
            place,
            shown(row["team"]),
            shown(row["assignee"]),
            reasons,
            shown(row["subject"]),
        )
        table.add_row(*(Text(cell) for cell in cells))  # as Text, never parsed: a tenant's `[/]` is not markup
    return table


def format_table(rows: list[dict], now: datetime | None = None, *, terminal: bool | None = None) -> str:
    """The table and a count line as text for `click.echo`; `now` defaults to the current time, `terminal` to
    whether stdout is one."""
    now = now or utcnow()
    terminal = sys.stdout.isatty() if terminal is None else terminal
    width = shutil.get_terminal_size().columns if terminal else PIPED_WIDTH
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, force_terminal=terminal, no_color=not terminal, highlight=False, soft_wrap=False
    )
    console.print(ticket_table(rows, now))
    in_triage = sum(1 for row in rows if row["needs_review"])
    pinned = sum(1 for row in rows if is_pinned(row))
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    count = f"{len(rows)} tickets, {in_triage} in the triage queue"
    if pinned:
        count += f", {pinned} possible emergenc{'y' if pinned == 1 else 'ies'} to confirm or clear"
    return "\n".join(lines + [count])


def is_pinned(row: dict) -> bool:
    """A possible emergency nobody confirmed or cleared yet: pinned on top of the triage queue."""
    return (row.get("possible_emergency") or {}).get("state") == "open"


def emergency_note(flag: dict) -> str:
    """How the review column marks a pinned ticket: the warning sign and why it was flagged."""
    return f"{EMERGENCY_MARK} possible emergency: {'; '.join(flag['reasons']) or 'flagged'}"
