"""The rules in the running service and on the command line: hot reload that rejects a bad edit while the old
rules keep working, `rules diff --since` on stored tickets, `rules explain TICKET`, and the staff commands."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from intake.cli.main import cli
from intake.cli.staff import assign, respond, set_status
from intake.core.settings import get_settings
from intake.runtime import Runtime, set_runtime
from store.models import Ticket, TicketEvent
from tests.assignment.integration.conftest import MINUTE, FakeClock, at, new_ticket
from tests.conftest import ROOT, make_settings

LEAK = {
    "subject": "Leak under the kitchen sink",
    "body": "Water is dripping under the kitchen sink in unit 101, please send someone.",
}
DOOR = {
    "subject": "Loose door handle",
    "body": "The handle on the bedroom door in unit 101 is loose. Could someone tighten it sometime this week?",
}
TENANTS = {
    "james": ("j.carter@example.com", "James Carter", "102"),
    "priya": ("priya.n@example.org", "Priya Natarajan", "201"),
    "tom": ("tbecker@example.com", "Tom Becker", "302"),
}


def leak_from(who: str) -> dict:
    """The leak email from another registered tenant, about their own unit (so it is a new ticket)."""
    sender, name, unit = TENANTS[who]
    return {"sender": sender, "name": name, "subject": LEAK["subject"], "body": LEAK["body"].replace("101", unit)}


TEAM_ONLY = ("assign: {team: plumbing, specialist: plumbing}", "assign: {team: plumbing, pick: none}")


@pytest.fixture
def rules_copy(tmp_path):
    target = tmp_path / "rules-live"
    shutil.copytree(ROOT / "rules", target, ignore=shutil.ignore_patterns("README.md"))
    return target


def edit(rules_dir, old: str, new: str) -> None:
    path = rules_dir / "assignment.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def live(runtime, db, tmp_path, rules_copy):
    """A runtime whose rules live in a directory the test edits, on a clock the test moves."""
    clock = FakeClock(at("2026-11-30T11:00:00-05:00"))
    rt = Runtime(settings=make_settings(db, tmp_path, rules_dir=rules_copy), db=db, clock=clock)
    set_runtime(rt)
    yield rt
    set_runtime(runtime)


def run_cli(monkeypatch, rt, *args):
    monkeypatch.setenv("INTAKE_DATABASE_URL", rt.db.url)
    monkeypatch.setenv("INTAKE_DATA_DIR", str(rt.settings.data_dir))
    monkeypatch.setenv("INTAKE_RULES_DIR", str(rt.settings.rules_dir))
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, list(args))
    finally:
        set_runtime(rt)  # the command set its own runtime
        get_settings.cache_clear()


def fields(rt, ticket_id) -> tuple:
    with rt.db.session() as session:
        ticket = session.get(Ticket, ticket_id)
        return ticket.number, ticket.team, ticket.assignee


def test_invalid_rules_are_rejected_and_the_old_rules_keep_working(live, timer_broker, worker_factory, monkeypatch):
    worker = worker_factory(timer_broker)
    _, team, before = fields(live, new_ticket(live, timer_broker, worker, **LEAK))
    assert team == "plumbing" and before is not None

    edit(live.settings.rules_dir, "assign: {team: plumbing, specialist: plumbing}", "assign: {team: plumbers}")
    live.clock.set(live.clock() + MINUTE)  # past the holder's check interval
    number, team, assignee = fields(live, new_ticket(live, timer_broker, worker, **leak_from("james")))
    assert (team, assignee is not None) == ("plumbing", True)  # decided by the last good rules
    status = run_cli(monkeypatch, live, "rules", "status")
    assert status.exit_code == 1
    assert "REJECTED" in status.output and "assignment.yaml:" in status.output and "plumbers" in status.output

    edit(live.settings.rules_dir, "assign: {team: plumbers}", TEAM_ONLY[1])
    live.clock.set(live.clock() + MINUTE)
    _, team, assignee = fields(live, new_ticket(live, timer_broker, worker, **leak_from("priya")))
    assert (team, assignee) == ("plumbing", None)  # the valid edit is in force
    status = run_cli(monkeypatch, live, "rules", "status")
    assert status.exit_code == 0, status.output
    assert "last error: none" in status.output


def test_rules_diff_replays_stored_tickets_since_a_date(live, timer_broker, worker_factory, monkeypatch, tmp_path):
    worker = worker_factory(timer_broker)
    live.clock.set(at("2026-11-23T11:00:00-05:00"))
    old_leak, _, _ = fields(live, new_ticket(live, timer_broker, worker, **leak_from("tom")))
    live.clock.set(at("2026-11-30T11:00:00-05:00"))
    leak, _, _ = fields(live, new_ticket(live, timer_broker, worker, **LEAK))
    door, _, _ = fields(live, new_ticket(live, timer_broker, worker, **DOOR))
    new_rules = tmp_path / "rules-new"
    shutil.copytree(live.settings.rules_dir, new_rules)
    edit(new_rules, *TEAM_ONLY)

    result = run_cli(
        monkeypatch, live, "rules", "diff", str(live.settings.rules_dir), str(new_rules), "--since", "2026-11-29"
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    changed = {line.split(":")[0] for line in lines if line.startswith(("EML-", "#"))}
    assert changed == {leak}  # not the door ticket (same rules), not the older leak (before --since)
    assignee = next(line for line in lines if line.startswith(f"{leak}: assignee:"))
    assert assignee.split("   (")[0].endswith("→ plumbing/-") and "plumbing-specialist" in assignee
    assert "2 tickets replayed, 1 would change" in result.output
    assert "  assignee: 1" in lines
    everything = run_cli(monkeypatch, live, "rules", "diff", str(live.settings.rules_dir), str(new_rules))
    assert "3 tickets replayed, 2 would change" in everything.output and old_leak in everything.output


def test_explain_a_stored_ticket(live, timer_broker, worker_factory, monkeypatch):
    worker = worker_factory(timer_broker)
    number, _, _ = fields(live, new_ticket(live, timer_broker, worker, **LEAK))
    result = run_cli(monkeypatch, live, "rules", "explain", number.lower())
    assert result.exit_code == 0, result.output
    assert "MATCH plumbing-specialist" in result.output
    assert "  -   gas-or-fire-emergency" in result.output  # every rule listed, with why not
    assert "first_response_warn at" in result.output
    missing = run_cli(monkeypatch, live, "rules", "explain", "EML-999999")
    assert missing.exit_code == 1 and "no ticket EML-999999" in missing.output


def test_staff_commands_move_the_lifecycle_with_actors_and_timestamps(live, timer_broker, worker_factory, monkeypatch):
    worker = worker_factory(timer_broker)
    ticket_id = new_ticket(live, timer_broker, worker, **DOOR)
    number, _, _ = fields(live, ticket_id)
    steps = [
        lambda: assign(live, number, "gus-general", actor="dispatcher-dana"),
        lambda: respond(live, number, "On my way tomorrow morning.", actor="gus-general"),
        lambda: set_status(live, number, "in_progress", actor="gus-general"),
        lambda: set_status(live, number, "resolved", actor="gus-general", reason="handle tightened"),
    ]
    for step in steps:  # the plain functions, on the test's clock
        live.clock.set(live.clock() + 10 * MINUTE)
        step()
    closed = run_cli(monkeypatch, live, "tickets", "status", number, "closed", "--actor", "dispatcher-dana")
    assert closed.exit_code == 0 and "resolved → closed" in closed.output
    refused = run_cli(monkeypatch, live, "tickets", "status", number, "pending", "--actor", "gus-general")
    assert refused.exit_code == 1 and "a closed ticket cannot become pending (allowed: assigned)" in refused.output
    unknown = run_cli(monkeypatch, live, "tickets", "assign", number, "--to", "nobody", "--actor", "dana")
    assert unknown.exit_code == 1 and "neither a person nor a team" in unknown.output
    start = at("2026-11-30T11:00:00-05:00")
    with live.db.session() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket.assignee == "gus-general" and ticket.status == "closed" and ticket.closed_at is not None
        assert (ticket.first_response_at, ticket.resolved_at) == (start + 20 * MINUTE, start + 40 * MINUTE)
        events = session.execute(
            select(TicketEvent.kind, TicketEvent.actor)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind.in_(["status-changed", "responded"]))
            .order_by(TicketEvent.id)
        ).all()
    assert events[-4:] == [
        ("responded", "gus-general"),
        ("status-changed", "gus-general"),
        ("status-changed", "gus-general"),
        ("status-changed", "dispatcher-dana"),
    ]


def test_staff_put_a_ticket_on_hold_for_parts_from_the_command_line(live, timer_broker, worker_factory, monkeypatch):
    worker = worker_factory(timer_broker)
    number, _, _ = fields(live, new_ticket(live, timer_broker, worker, **DOOR))
    held = run_cli(
        monkeypatch, live, "tickets", "status", number, "pending", "--waiting-on", "parts", "--actor", "gus-general"
    )
    assert held.exit_code == 0, held.output
    assert "→ pending (waiting on parts)" in held.output
    typo = run_cli(
        monkeypatch, live, "tickets", "status", number, "pending", "--waiting-on", "prats", "--actor", "gus-general"
    )
    assert typo.exit_code == 1 and "parts" in typo.output  # refused, with the declared reason it probably meant
    shown = run_cli(monkeypatch, live, "tickets", "show", number, "--format", "json")
    [event] = [e for e in json.loads(shown.output)["timeline"] if (e.get("changes") or {}).get("waiting_on")]
    assert event["changes"]["waiting_on"] == "parts" and event["actor"] == "gus-general"
