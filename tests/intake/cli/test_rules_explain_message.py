"""`intake rules explain --message MAIL` classifies the mail as a new ticket would be, then explains the rules
against that classification: the facts are those the pipeline gives the ticket it opens for the same mail."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from assignment.ticket_facts import ticket_facts
from intake.channels.email.files import email_raw
from intake.cli.main import cli
from intake.cli.message_facts import message_file_facts
from intake.cli.rules import first_inbound_text
from intake.ingest import accept
from intake.pipeline.process import process_raw
from store import tickets as ticket_store
from tests.assignment.conftest import RULES_DIR, TUESDAY_10, write
from tests.conftest import SAMPLES

# What the classification decides (the rules then set priority, team, assignee and may send it to triage).
CLASSIFIED = (
    "channel",
    "category",
    "subcategory",
    "urgency",
    "property_id",
    "unit",
    "billing_type",
    "contract",
    "contract_status",
    "hazards",
    "signals",
    "confidence",
    "text",
    "subject",
    "sender",
)


def test_a_mail_is_classified_before_the_rules_see_it(tmp_path):
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
    args = ["rules", "explain", "--message", str(eml), "--rules", str(RULES_DIR), "--at", TUESDAY_10.isoformat()]
    result = CliRunner().invoke(cli, [*args, "--registry", str(SAMPLES / "registry.yaml")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("leak.eml classified as a new ticket: maintenance/")
    assert "urgency urgent" in lines[0]
    assert lines[1].startswith("  property HBR unit 101, ") and "hazards gas-smell" in lines[1]
    assert "MATCH gas-or-fire-emergency" in lines and "        hazard=gas-smell matched" in lines
    assert "priority urgent because rule `gas-or-fire-emergency` matched hazard=gas-smell" in result.output


@pytest.mark.parametrize(
    "sample",
    [
        "01-leak-kitchen-ceiling-urgent.eml",
        "05-gas-smell-hallway.eml",
        "10-spanish-urgent-flooding-latin1.eml",
        "26-unknown-sender-property-typo.eml",
        "28-sparking-outlet-under-guarantee.eml",
    ],
)
def test_the_facts_are_those_the_pipeline_gives_the_new_ticket(runtime, stub_broker, sample):
    path = SAMPLES / "email" / sample
    (accepted,) = accept(runtime.db, [email_raw(path.read_bytes(), "test")], enqueue=False)
    number = process_raw(runtime, accepted.raw_id).ticket_number
    with runtime.db.session() as session:
        ticket = ticket_store.get_by_number(session, number)
        stored = ticket_facts(ticket, first_inbound_text(ticket))
    facts, notes = message_file_facts(path, stored.created_at, RULES_DIR, str(SAMPLES / "registry.yaml"))
    assert notes == []
    assert facts.model_dump(include=set(CLASSIFIED)) == stored.model_dump(include=set(CLASSIFIED))


def test_an_automatic_mail_is_explained_with_a_note():
    path = SAMPLES / "email" / "23-out-of-office-auto-reply.eml"
    result = CliRunner().invoke(cli, ["rules", "explain", "--message", str(path), "--rules", str(RULES_DIR)])
    assert result.exit_code == 0, result.output
    assert "note: automatic mail (" in result.output and "the pipeline would open no ticket for it" in result.output


def test_a_mail_the_channel_cannot_parse_is_one_line(tmp_path):
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    result = CliRunner().invoke(cli, ["rules", "explain", "--message", str(empty), "--rules", str(RULES_DIR)])
    assert (result.exit_code, result.output) == (1, f"Error: {empty}: empty message\n")
