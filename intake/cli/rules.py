"""`intake rules …`: check, status, explain and diff for the rules ops edit in `rules/`.

`check`, `explain --message` and `diff --facts` work on files alone; `status` reads what the running service's
RulesHolder last wrote; `explain TICKET` and `diff --since` read the ticket store.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
from datetime import UTC, datetime
from pathlib import Path

import click
import yaml

DirPath = click.Path(file_okay=False, path_type=Path)


def _settings():
    from intake.core.settings import get_settings

    return get_settings()


def status_file_path() -> Path:
    """Where the service's RulesHolder writes its status (under the data directory)."""
    return _settings().data_dir / "rules-status.json"


def _parse_at(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def facts_from_file(path: Path, at: datetime, overrides: dict[str, str]):
    """TicketFacts from a YAML/JSON file of fields, or from an email (.eml): its subject, sender and text."""
    from assignment import TicketFacts

    if path.suffix.lower() in {".yaml", ".yml", ".json"}:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    else:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain", "html"))
        sender = email.utils.parseaddr(str(message.get("from") or ""))[1]
        data = {
            "channel": "email",
            "subject": message.get("subject"),
            "sender": sender or None,
            "text": body.get_content() if body is not None else "",
        }
    data.setdefault("created_at", at)
    data.update(overrides)
    return TicketFacts.model_validate(data)


def stored_ticket_facts(number: str, overrides: dict[str, str]):
    """A stored ticket's facts as they are now (pauses included) and the current workload, for `explain`."""
    from sqlalchemy import select

    from assignment import TicketFacts
    from assignment.ticket_facts import stored_facts
    from assignment.workload import current_workload
    from intake.cli.common import open_runtime
    from store import tickets as ticket_store
    from store.models import SlaTimer

    with open_runtime().db.session() as session:
        ticket = ticket_store.get_by_number(session, number)
        if ticket is None:
            raise click.ClickException(f"no ticket {number}")
        facts = stored_facts(ticket, _first_text(ticket))
        workload = current_workload(session)
        rows = session.execute(
            select(SlaTimer).where(SlaTimer.ticket_id == ticket.id).order_by(SlaTimer.due_at, SlaTimer.id)
        )
        timers = [(t.kind, t.due_at, t.state, t.outcome) for t in rows.scalars()]
    return TicketFacts.model_validate(facts.model_dump() | overrides), workload, timers


def _first_text(ticket) -> str:
    inbound = [m for m in ticket.messages if m.direction == "inbound"]
    return (inbound[0].text or inbound[0].full_text) if inbound else ""


def stored_replay_facts(since: datetime | None) -> list:
    """Stored tickets (created since `since`, oldest first) as they arrived: classified, before any rule or
    staff touched them — so both rule sets decide from the same starting point."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from assignment.ticket_facts import ticket_facts
    from intake.cli.common import open_runtime
    from store.models import Ticket

    query = select(Ticket).options(selectinload(Ticket.messages)).order_by(Ticket.created_at, Ticket.number)
    if since is not None:
        query = query.where(Ticket.created_at >= since)
    with open_runtime().db.session() as session:
        return [
            ticket_facts(t, _first_text(t)).model_copy(
                update={
                    "status": "new",
                    "priority": None,
                    "team": None,
                    "assignee": None,
                    "first_response_at": None,
                    "resolved_at": None,
                }
            )
            for t in session.execute(query).scalars()
        ]


@click.group("rules")
def rules_group() -> None:
    """Check, inspect and explain the assignment, SLA and escalation rules in rules/."""


@rules_group.command("check")
@click.argument("rules_dir", required=False, type=DirPath)
def check(rules_dir: Path | None) -> None:
    """Validate every YAML file of RULES_DIR (default: the configured rules_dir): assignment, SLA, escalation and
    the classifier's files. List every problem as file:line:column, then the count; exit 1 if any."""
    from assignment.loader import read_directory
    from intake.rules_folder import check_rules_folder

    rules_dir = rules_dir or _settings().rules_dir
    problems = check_rules_folder(rules_dir)
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(problems)} problem(s) in {rules_dir}; the service would keep its previous rules.", err=True)
        raise SystemExit(1)
    loaded, _ = read_directory(rules_dir)
    a, s = loaded.assignment, loaded.sla
    click.echo(
        f"{rules_dir}: OK — {len(loaded.rules)} rules, {len(a.teams)} teams, {len(a.people)} people, "
        f"{len(s.calendars)} calendar(s), {len(s.overrides)} SLA override(s), classifier files valid"
    )


@rules_group.command("status")
@click.argument("rules_dir", required=False, type=DirPath)
@click.option(
    "--status-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The status file the service writes (default: DATA_DIR/rules-status.json).",
)
def status(rules_dir: Path | None, status_file: Path | None) -> None:
    """What the running service has in force: loaded-at, file hashes, last rejected change. Exit 1 if the
    last change was rejected or the files on disk are invalid now."""
    from intake.classifier_rules import STATUS_FILE
    from intake.rules_folder import check_rules_folder

    rules_dir = rules_dir or _settings().rules_dir
    status_file = status_file or status_file_path()
    failing = _show_status("rules", status_file, rules_dir, None)
    failing |= _show_status("classifier files", status_file.with_name(STATUS_FILE), rules_dir, "classifier")
    problems = check_rules_folder(rules_dir) if rules_dir.is_dir() else []
    if problems:
        failing = True
        click.echo(f"files in {rules_dir} now have {len(problems)} problem(s); run `intake rules check` for details")
    raise SystemExit(1 if failing else 0)


def _show_status(what: str, status_file: Path, rules_dir: Path, kind: str | None) -> bool:
    """Print what a running service reported for the assignment rules or the classifier files; True if its
    last change was rejected."""
    from assignment.holder import FILES, file_hashes, read_status
    from classifiers.ruleset import FILES as CLASSIFIER_FILES

    state = read_status(status_file)
    on_disk = file_hashes(rules_dir, CLASSIFIER_FILES if kind else FILES) if rules_dir.is_dir() else {}
    if state is None:
        click.echo(f"no running service has reported {what} status yet ({status_file})")
        return False
    counted = "" if kind else f"{state.rules} rules "
    click.echo(f"{what} in force: {counted}from {state.rules_dir}, loaded at {state.loaded_at:%Y-%m-%d %H:%M:%S %Z}")
    for name, digest in sorted(state.hashes.items()):
        note = "" if on_disk.get(name) == digest else "  (changed on disk since)"
        click.echo(f"  {name}  sha256 {digest[:16]}{note}")
    if not state.last_error:
        click.echo("last error: none")
        return False
    which = f" to the {what}" if kind else ""
    click.echo(
        f"last change{which} REJECTED at {state.last_error_at:%Y-%m-%d %H:%M:%S %Z}; previous {what} stay in force:"
    )
    for problem in state.last_error:
        click.echo(f"  {problem}")
    return True


@rules_group.command("explain")
@click.argument("ticket", required=False)
@click.option(
    "--message",
    "message_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A message (.eml) or ticket facts (.yaml/.json) to run through the rules.",
)
@click.option("--rules", "rules_dir", type=DirPath, help="Rules directory (default: the configured one).")
@click.option("--at", "at", help="Decide as of this ISO time (default: a ticket's arrival; a message's now).")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Override a fact, e.g. subcategory=plumbing or hazard=gas-smell,fire-smoke.",
)
def explain(
    ticket: str | None, message_file: Path | None, rules_dir: Path | None, at: str | None, assignments: tuple[str, ...]
) -> None:
    """List every rule, whether it matched and why (not), then the decision, SLA plan and timers."""
    from assignment import RuleEngine, RulesError, Workload

    if not ticket and not message_file:
        raise click.UsageError("give a TICKET or --message FILE")
    try:
        engine = RuleEngine.load(rules_dir or _settings().rules_dir)
    except RulesError as exc:
        raise click.ClickException(f"rules are invalid:\n{exc}") from None
    overrides = _overrides(assignments)
    now = _parse_at(at)
    if message_file:
        facts, workload = facts_from_file(message_file, now, overrides), Workload()
        stored_timers = None
    else:
        facts, workload, stored_timers = stored_ticket_facts(ticket, overrides)
        now = now if at else facts.created_at  # why it was decided so: as of its arrival, unless asked otherwise
    decision = engine.decide(facts, workload, now, explain=True)
    for hit in decision.hits:
        click.echo(f"{'MATCH' if hit.matched else '  -  '} {hit.rule}")
        for reason in hit.reasons:
            click.echo(f"        {reason}")
    click.echo("\n" + decision.explain())
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


def _overrides(assignments: tuple[str, ...]) -> dict:
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


@rules_group.command("diff")
@click.argument("old_dir", type=DirPath)
@click.argument("new_dir", type=DirPath)
@click.option(
    "--facts",
    "facts_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML/JSON list of ticket facts to replay instead of stored tickets.",
)
@click.option("--since", help="Replay stored tickets created since this date (default: all stored tickets).")
def diff(old_dir: Path, new_dir: Path, facts_file: Path | None, since: str | None) -> None:
    """Replay tickets through OLD_DIR and NEW_DIR rules; print the decisions that would change, with counts."""
    from assignment import RuleEngine, RulesError, TicketFacts, diff_decisions

    try:
        old, new = RuleEngine.load(old_dir), RuleEngine.load(new_dir)
    except RulesError as exc:
        raise click.ClickException(f"rules are invalid:\n{exc}") from None
    if facts_file:
        rows = yaml.safe_load(facts_file.read_text(encoding="utf-8")) or []
        tickets = [TicketFacts.model_validate(row) for row in rows]
        if since:
            tickets = [t for t in tickets if t.created_at >= _parse_at(since)]
    else:
        tickets = stored_replay_facts(_parse_at(since) if since else None)
    click.echo(diff_decisions(old, new, tickets).format())


@rules_group.command("vocabulary")
@click.argument("rules_dir", required=False, type=DirPath)
def vocabulary(rules_dir: Path | None) -> None:
    """Print the fields, operators and actions rule files may use, with the categories and hazards RULES_DIR
    (default: the configured rules_dir) defines."""
    from assignment import describe_vocabulary
    from assignment.loader import known_values

    rules_dir = rules_dir or _settings().rules_dir
    click.echo(describe_vocabulary(known_values(rules_dir) if rules_dir.is_dir() else {}))


def register(group: click.Group) -> None:
    group.add_command(rules_group)
