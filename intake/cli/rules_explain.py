"""`intake rules explain TICKET | --message FILE`: every rule, whether it matched and why (not), then the
decision, SLA plan and timers.

A stored ticket is explained from its facts now, as of its arrival, with the workload and the timers the service
scheduled. A mail file (.eml) is parsed by the email channel and classified by the real classifier (rules folder
and registry file), so the rules see the facts a new ticket of it would have (see `message_facts.py`); a
.yaml/.json file gives the facts directly. `--set` overrides any fact.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
import yaml
from sqlalchemy import select

from assignment import Decision, RuleEngine, TicketFacts, Workload
from assignment.ticket_facts import stored_facts
from assignment.workload import current_workload
from intake.cli.common import found, open_runtime
from intake.cli.message_facts import describe_facts, message_file_facts
from intake.cli.rules import DirPath, FilePath, first_inbound_text, load_engine, parse_at
from intake.core.settings import get_settings
from store import tickets as ticket_store
from store.models import SlaTimer

FACTS_SUFFIXES = {".yaml", ".yml", ".json"}


@click.command("explain")
@click.argument("ticket", required=False)
@click.option(
    "--message",
    "message_file",
    type=FilePath,
    help="A mail (.eml), classified as a new ticket would be, or ticket facts (.yaml/.json) to run through the rules.",
)
@click.option("--rules", "rules_dir", type=DirPath, help="Rules directory (default: the configured one).")
@click.option(
    "--registry",
    "registry_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Registry YAML a mail is classified with (default: the configured registry_file).",
)
@click.option("--at", "at", help="Decide as of this ISO time (default: a ticket's arrival; a message's now).")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Override a fact, e.g. subcategory=plumbing or hazard=gas-smell,fire-smoke.",
)
def explain_command(
    ticket: str | None,
    message_file: Path | None,
    rules_dir: Path | None,
    registry_file: str | None,
    at: str | None,
    assignments: tuple[str, ...],
) -> None:
    """List every rule, whether it matched and why (not), then the decision, SLA plan and timers."""
    if not ticket and not message_file:
        raise click.UsageError("give a TICKET or --message FILE")
    rules_dir = rules_dir or get_settings().rules_dir
    engine = load_engine(rules_dir)
    overrides = overrides_of(assignments)
    now = parse_at(at)
    stored_timers = None
    if message_file and message_file.suffix.lower() in FACTS_SUFFIXES:
        facts, workload = facts_from_file(message_file, now), Workload()
    elif message_file:
        facts, notes = message_file_facts(message_file, now, rules_dir, registry_file)
        workload = Workload()
        click.echo("\n".join([*describe_facts(message_file.name, facts), *notes, ""]))
    else:
        facts, workload, stored_timers = stored_ticket_facts(ticket)
        now = now if at else facts.created_at  # why it was decided so: as of its arrival, unless asked otherwise
    facts = TicketFacts.model_validate(facts.model_dump() | overrides)
    decision = engine.decide(facts, workload, now, explain=True)
    click.echo(format_hits(decision))
    _echo_plan(engine, facts, decision, now, stored_timers)


def facts_from_file(path: Path, at: datetime) -> TicketFacts:
    """TicketFacts from a YAML/JSON file of fields (`created_at` defaults to `at`)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    data.setdefault("created_at", at)
    return TicketFacts.model_validate(data)


def stored_ticket_facts(number: str) -> tuple[TicketFacts, Workload, list[tuple]]:
    """A stored ticket's facts as they are now (pauses included), the current workload and its SLA timers."""
    with open_runtime().db.session() as session:
        ticket = found(ticket_store.get_by_number(session, number), f"ticket {number}")
        facts = stored_facts(ticket, first_inbound_text(ticket))
        workload = current_workload(session)
        rows = session.execute(
            select(SlaTimer).where(SlaTimer.ticket_id == ticket.id).order_by(SlaTimer.due_at, SlaTimer.id)
        )
        timers = [(t.kind, t.due_at, t.state, t.outcome) for t in rows.scalars()]
    return facts, workload, timers


def overrides_of(assignments: tuple[str, ...]) -> dict:
    """`--set field=value` pairs as facts; `hazard` / `signal` take a comma-separated list of names."""
    overrides: dict = {}
    for item in assignments:
        if "=" not in item:
            continue
        name, value = item.split("=", 1)
        if name in ("hazard", "signal"):
            overrides[f"{name}s"] = [v.strip() for v in value.split(",") if v.strip()]
        else:
            overrides[name] = value
    return overrides


def format_hits(decision: Decision) -> str:
    """Each rule, MATCH or not, with its reasons; then the decision explained."""
    lines = []
    for hit in decision.hits:
        lines.append(f"{'MATCH' if hit.matched else '  -  '} {hit.rule}")
        lines += [f"        {reason}" for reason in hit.reasons]
    return "\n".join([*lines, "", decision.explain()])


def _echo_plan(
    engine: RuleEngine, facts: TicketFacts, decision: Decision, now: datetime, stored_timers: list[tuple] | None
) -> None:
    """The SLA plan of the decided facts, then the timers: stored ones for a ticket, planned ones otherwise."""
    decided = facts.model_copy(update={"priority": decision.priority or facts.priority})
    plan = engine.sla_plan(decided)
    click.echo(
        f"\nSLA: {plan.priority}, {plan.clock} time on calendar {plan.calendar}"
        + (f" (override {plan.override})" if plan.override else "")
    )
    click.echo(f"  first response due {plan.first_response_due}, resolution due {plan.resolution_due}")
    if stored_timers is not None:  # what the service scheduled for this ticket, and what became of it
        click.echo("  timers of this ticket:" if stored_timers else "  no timers stored for this ticket")
        for kind, due_at, state, outcome in stored_timers:
            click.echo(f"  {kind} at {due_at.isoformat()}: {state}" + (f" ({outcome})" if outcome else ""))
        return
    for timer in engine.timers(decided, plan, assigned=bool(decision.assignee), now=now):
        click.echo(
            f"  {timer.kind} at {timer.due_at} → notify {', '.join(timer.action.notify) or '-'}"
            + (f", reassign to {timer.action.reassign}" if timer.action.reassign else "")
        )
