"""`intake rules …`: check, status, explain, diff and vocabulary for the rules ops edit in `rules/`.

`check` and `vocabulary` work on files alone; `status` reads what the running service's RulesHolder last
wrote. `explain` (rules_explain.py) and `diff` (rules_diff.py) are imported when they run: they classify
messages or read the ticket store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from assignment import RuleEngine, RulesError, describe_vocabulary
from assignment.holder import FILES, file_hashes, read_status
from assignment.loader import known_values, read_directory
from classifiers.ruleset import FILES as CLASSIFIER_FILES
from intake.classifier_rules import STATUS_FILE
from intake.cli.lazy import LazyCommand, LazyGroup
from intake.core.settings import get_settings
from intake.rules_folder import check_rules_folder
from store.models import Ticket

DirPath = click.Path(file_okay=False, path_type=Path)
FilePath = click.Path(exists=True, dir_okay=False, path_type=Path)

READING_COMMANDS = {
    "diff": LazyCommand(
        "intake.cli.rules_diff:diff_command",
        "Replay tickets through OLD_DIR and NEW_DIR rules; print the decisions that would change, with counts.",
    ),
    "explain": LazyCommand(
        "intake.cli.rules_explain:explain_command",
        "List every rule, whether it matched and why (not), then the decision, SLA plan and timers.",
    ),
}


def status_file_path() -> Path:
    """Where the service's RulesHolder writes its status (under the data directory)."""
    return get_settings().data_dir / "rules-status.json"


def parse_at(value: str | None) -> datetime:
    """An ISO time from the command line (naive: UTC); now when not given."""
    if not value:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def load_engine(rules_dir: Path) -> RuleEngine:
    """The rule engine of `rules_dir`, or a command error listing every problem."""
    try:
        return RuleEngine.load(rules_dir)
    except RulesError as exc:
        raise click.ClickException(f"rules are invalid:\n{exc}") from None


@click.group("rules", cls=LazyGroup, lazy=READING_COMMANDS)
def rules_group() -> None:
    """Check, inspect and explain the assignment, SLA and escalation rules in rules/."""


@rules_group.command("check")
@click.argument("rules_dir", required=False, type=DirPath)
def check(rules_dir: Path | None) -> None:
    """Validate every YAML file of RULES_DIR (default: the configured rules_dir): assignment, SLA, escalation and
    the classifier's files. List every problem as file:line:column, then the count; exit 1 if any."""
    rules_dir = rules_dir or get_settings().rules_dir
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
    rules_dir = rules_dir or get_settings().rules_dir
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


@rules_group.command("vocabulary")
@click.argument("rules_dir", required=False, type=DirPath)
def vocabulary(rules_dir: Path | None) -> None:
    """Print the fields, operators and actions rule files may use, with the categories and hazards RULES_DIR
    (default: the configured rules_dir) defines."""
    rules_dir = rules_dir or get_settings().rules_dir
    click.echo(describe_vocabulary(known_values(rules_dir) if rules_dir.is_dir() else {}))


def first_inbound_text(ticket: Ticket) -> str:
    """The text of the message that opened a stored ticket: what the rules read when it arrived."""
    inbound = [m for m in ticket.messages if m.direction == "inbound"]
    return (inbound[0].text or inbound[0].full_text) if inbound else ""
