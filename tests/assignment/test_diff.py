"""`diff_decisions` replays tickets through two rule sets and reports exactly the decisions that change;
`intake rules explain --message` and `intake rules diff --facts` through the real CLI."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from assignment import RuleEngine, diff_decisions
from intake.cli.main import cli
from tests.assignment.conftest import RULES_DIR, TUESDAY_10, make_facts, write
from tests.conftest import SAMPLES

TICKETS = [
    make_facts(
        number="EML-1",
        category="maintenance",
        subcategory="plumbing",
        urgency="standard",
        property_id="OAK",
        text="tap drips",
    ),
    make_facts(number="EML-2", category="payment", urgency="low", text="invoice question"),
    make_facts(
        number="EML-3",
        category="maintenance",
        subcategory="hvac",
        urgency="high",
        property_id="HBR",
        billing_type="sla",
        contract="HBR-2026-01-01",
        contract_status="active",
        text="no heat",
    ),
    make_facts(number="EML-4", category="complaint", subcategory="noise", urgency="standard", text="party upstairs"),
]


def _changed_copy(rules_copy: Path) -> Path:
    """Plumbing goes to general maintenance; Harbor View's high-priority first response becomes 30 minutes."""
    assignment = rules_copy / "assignment.yaml"
    assignment.write_text(
        assignment.read_text().replace("assign: {team: plumbing, specialist: plumbing}", "assign: {team: maintenance}")
    )
    sla = rules_copy / "sla.yaml"
    sla.write_text(
        sla.read_text().replace(
            "high: {first_response: 1h, resolution: 8h}", "high: {first_response: 30m, resolution: 8h}"
        )
    )
    return rules_copy


def test_diff_reports_exactly_the_changed_decisions(engine, rules_copy):
    new = RuleEngine.load(_changed_copy(rules_copy))
    report = diff_decisions(engine, new, TICKETS)
    assert (report.compared, report.changed_tickets) == (4, 2)
    assert [(c.ticket, c.aspect) for c in report.changes] == [
        ("EML-1", "assignee"),
        ("EML-3", "sla"),
        ("EML-3", "escalation"),
    ]
    assert report.counts == {"assignee": 1, "sla": 1, "escalation": 1}
    plumbing = report.changes[0]
    assert (plumbing.old, plumbing.new) == ("plumbing/pat-plumber", "maintenance/gus-general")
    assert plumbing.old_rules == plumbing.new_rules == ["plumbing-specialist"]
    sla = report.changes[1]
    assert "first response 2026-11-24T16:00+00:00" in sla.old and "first response 2026-11-24T15:30+00:00" in sla.new
    assert "EML-1: assignee: plumbing/pat-plumber → maintenance/gus-general" in report.format()
    assert "4 tickets replayed, 2 would change" in report.format()


def test_same_rules_no_changes(engine):
    report = diff_decisions(engine, RuleEngine.load(RULES_DIR), TICKETS)
    assert (report.compared, report.changed_tickets, report.changes, report.counts) == (4, 0, [], {})


def test_cli_diff_with_facts_file(rules_copy, tmp_path):
    facts_file = tmp_path / "tickets.yaml"
    facts_file.write_text(
        yaml.safe_dump(
            [
                t.model_dump(mode="json", exclude_defaults=True) | {"created_at": t.created_at.isoformat()}
                for t in TICKETS
            ]
        )
    )
    result = CliRunner().invoke(
        cli, ["rules", "diff", str(RULES_DIR), str(_changed_copy(rules_copy)), "--facts", str(facts_file)]
    )
    assert result.exit_code == 0, result.output
    assert "4 tickets replayed, 2 would change" in result.output and "  assignee: 1" in result.output
    # `diff --since` on stored tickets: tests/assignment/integration/test_rules_service.py


def test_cli_explain_message(tmp_path):
    eml = write(
        tmp_path,
        "leak.eml",
        """\
        From: Maria Lopez <maria@example.net>
        To: maintenance@intake.example
        Subject: Gas smell in 101
        Content-Type: text/plain; charset=utf-8

        I can smell gas in the kitchen since this morning.
    """,
    )
    result = CliRunner().invoke(
        cli,
        [
            "rules",
            "explain",
            "--message",
            str(eml),
            "--rules",
            str(RULES_DIR),
            "--registry",  # the mail is classified first: Maria is a tenant there
            str(SAMPLES / "registry.yaml"),
            "--at",
            TUESDAY_10.isoformat(),
            "--set",
            "category=maintenance",
            "--set",
            "hazard=gas-smell",
        ],
    )
    assert result.exit_code == 0, result.output
    classified, explained = result.output.split("\n\n", 1)  # what the classifier made of the mail, then the rules
    assert classified.startswith("leak.eml classified as a new ticket: ")
    lines = explained.splitlines()
    assert lines[0] == "MATCH gas-or-fire-emergency"
    assert lines[1] == "        hazard=gas-smell matched"  # the hazard the classifier found, not a phrase
    assert "  -   low-confidence-to-triage" in lines
    assert "priority urgent because rule `gas-or-fire-emergency` matched hazard=gas-smell" in result.output
    assert "notify person sam-supervisor (rule `gas-or-fire-emergency`)" in result.output
    assert "SLA: urgent, calendar time" in result.output and "unassigned_urgent" not in result.output


def test_cli_explain_facts_file_and_stored_ticket(tmp_path):
    facts = write(tmp_path, "facts.yaml", "category: payment\nurgency: low\ntext: invoice\n")
    result = CliRunner().invoke(
        cli, ["rules", "explain", "--message", str(facts), "--rules", str(RULES_DIR), "--at", TUESDAY_10.isoformat()]
    )
    assert result.exit_code == 0 and "MATCH payment-questions" in result.output
    assert (
        "assigned to billing / bea-billing because rule `payment-questions` matched category=payment" in result.output
    )
    # `explain TICKET` on a stored ticket: tests/assignment/integration/test_rules_service.py
