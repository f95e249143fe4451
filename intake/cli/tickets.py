"""`intake tickets list|show|create`: the tickets, their thread, classification and timeline; staff-made tickets.

What staff do to a ticket (status, respond, assign, merge, unlink, emergency) lives in its own modules, imported
when that command runs.
"""

from __future__ import annotations

import json

import click
from pydantic import ValidationError

from intake.channels.internal import StaffReport, report_to_raw
from intake.cli.common import drain, found, in_process_worker, open_runtime, wait_for_processing
from intake.cli.lazy import LazyCommand, LazyGroup
from intake.cli.rules_gate import refuse_broken_rules
from intake.cli.ticket_table import format_table
from intake.cli.ticket_text import format_detail
from intake.ingest import accept
from intake.views import ticket_detail, ticket_summary
from store import tickets as ticket_store
from store.models import RawItem, Ticket
from store.review_queue import review_queue

STAFF_COMMANDS = {
    "assign": LazyCommand("intake.cli.staff:assign_command", "Assign a ticket to a person or a team."),
    "emergency": LazyCommand(
        "intake.cli.emergency:emergency_command",
        "Settle a possible emergency: confirm it (urgent, re-routed) or clear it; either unpins it from triage.",
    ),
    "merge": LazyCommand("intake.cli.links:merge_command", "Move FROM's messages to INTO and close FROM as merged."),
    "respond": LazyCommand(
        "intake.cli.staff:respond_command",
        "Record a staff message on a ticket (the first one to the tenant stops the first-response timers).",
    ),
    "status": LazyCommand(
        "intake.cli.staff:status_command",
        "Change a ticket's status (new, triaged, assigned, in_progress, pending, resolved, closed, cancelled).",
    ),
    "unlink": LazyCommand(
        "intake.cli.links:unlink_command",
        'Say two tickets are not related: clear the probable-follow-up / "may relate to" link and its triage reason.',
    ),
}


@click.group("tickets", cls=LazyGroup, lazy=STAFF_COMMANDS)
def tickets_group() -> None:
    """Tickets."""


@tickets_group.command("list")
@click.option("--status", help="Only tickets in this status (new, triaged, assigned, …).")
@click.option("--review", is_flag=True, help="Only tickets waiting in the triage queue.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--limit", default=200, show_default=True)
def tickets_list(status: str | None, review: bool, fmt: str, limit: int) -> None:
    """List tickets, newest first; the triage queue (`--review`) most urgent first, then by SLA due time and age."""
    runtime = open_runtime(needs_rules=False)
    with runtime.db.session() as session:
        found = (
            review_queue(session, status, limit) if review else ticket_store.list_tickets(session, status, None, limit)
        )
        rows = [ticket_summary(t) for t in found]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        click.echo(format_table(rows, runtime.clock()))


@tickets_group.command("show")
@click.argument("number")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def tickets_show(number: str, fmt: str) -> None:
    """Show one ticket: fields, classification with evidence, thread and timeline."""
    runtime = open_runtime(needs_rules=False)
    with runtime.db.session() as session:
        data = ticket_detail(found(ticket_store.get_by_number(session, number), f"ticket {number}"))
    click.echo(
        json.dumps(data, ensure_ascii=False, indent=2) if fmt == "json" else format_detail(data, runtime.clock())
    )
    if fmt == "text" and data["outbound"]:
        click.echo(format_outbound(data["outbound"]))


@tickets_group.command("create")
@click.option("--by", "created_by", required=True, help="The staff member creating the ticket (shown in the timeline).")
@click.option("--requester", required=True, help="The tenant's email address or phone number.")
@click.option("--name", "requester_name", help="The tenant's name.")
@click.option("--subject", help="A short subject.")
@click.option("--text", help="What the tenant reported (else read from standard input).")
def tickets_create(
    created_by: str, requester: str, requester_name: str | None, subject: str | None, text: str | None
) -> None:
    """Open a ticket for a report taken by phone or in person (numbered INT-…), classified and assigned like any."""
    refuse_broken_rules()
    runtime = open_runtime()
    try:
        report = StaffReport(
            created_by=created_by,
            requester=requester,
            requester_name=requester_name,
            subject=subject,
            text=text if text is not None else click.get_text_stream("stdin").read(),
        )
        raw = report_to_raw(report, runtime.settings.whatsapp.default_region, runtime.clock())
    except (ValidationError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    with in_process_worker() as worker:
        raw_id = accept(runtime.db, [raw])[0].raw_id
        drain(worker)
        if worker is None:
            wait_for_processing(runtime, [raw_id], timeout=60)
    with runtime.db.session() as session:
        item = session.get(RawItem, raw_id)
        ticket = session.get(Ticket, item.ticket_id) if item.ticket_id else None
        if ticket is None:
            raise click.ClickException(
                f"raw {raw_id} is {item.state}: {item.error or item.outcome or 'not processed yet'}"
            )
        click.echo(format_detail(ticket_detail(ticket), runtime.clock()))


def format_outbound(rows: list[dict]) -> str:
    """The ticket's outbound messages: state, tries and, when it failed, why."""
    out = ["  outbound:"]
    for row in rows:
        out.append(
            f"    #{row['id']} {row['created_at'][:19]} {row['channel']} to {', '.join(row['to'])}: "
            f"{row['state']} ({row['attempts']} attempts)" + (f" — {row['error']}" if row["error"] else "")
        )
    return "\n".join(out)
