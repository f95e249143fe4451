"""What a dispatcher reads: the triage queue in working order, `tickets show` without `None` or raw JSON, and a
demo whose closing hint works when pasted as printed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from intake.cli.display import format_age, format_due
from intake.cli.ticket_table import format_table
from intake.core.models import utcnow
from store import tickets as ticket_store
from store.models import Ticket
from store.review_queue import review_queue
from tests.conftest import SAMPLES

LONG_NAME = "dora-dispatcher-of-the-north-wing"  # longer than the old table's 12-character column
# number -> (urgency, first response due in minutes or None, resolution due in minutes or None, age in minutes)
QUEUE = {
    "EML-000001": ("standard", 30, 600, 50),
    "EML-000002": ("urgent", 90, 300, 10),
    "EML-000003": ("urgent", 20, 300, 5),
    "EML-000004": (None, None, None, 500),
    "EML-000005": ("low", None, None, 400),
    "EML-000006": ("low", None, 60, 30),
    "EML-000007": ("high", None, None, 20),
    "EML-000008": ("high", None, None, 90),
    "EML-000009": ("urgent", 20, 300, 60),  # same due time as EML-000003, older
    "EML-000012": ("high", 60, None, 1),
}
# EML-000011 (high, first response given) is due at its resolution time: after EML-000012, before no due time
EXPECTED_ORDER = [
    "EML-000009",
    "EML-000003",
    "EML-000002",
    "EML-000012",
    "EML-000011",
    "EML-000008",
    "EML-000007",
    "EML-000001",
    "EML-000006",
    "EML-000005",
    "EML-000004",
]


def add_queue(session, now: datetime) -> None:
    """The triage queue above (times from `now`), plus one ticket outside it and one whose first response was
    already given."""

    def _minutes(value: int | None):
        return now + timedelta(minutes=value) if value is not None else None

    for number, (urgency, first, resolution, age) in QUEUE.items():
        session.add(
            Ticket(
                number=number,
                channel="email",
                status="new",
                subject=f"Problem {number}",
                requester="tenant@example.org",
                urgency=urgency,
                needs_review=True,
                review_reasons=[f"reason of {number}"],
                team="dispatch",
                assignee=LONG_NAME,
                first_response_due=_minutes(first),
                resolution_due=_minutes(resolution),
                created_at=now - timedelta(minutes=age),
            )
        )
    session.add(Ticket(number="EML-000010", channel="email", urgency="urgent", needs_review=False, created_at=now))
    # answered: its first-response clock stopped, so the resolution due time (late) is what counts
    session.add(
        Ticket(
            number="EML-000011",
            channel="email",
            urgency="high",
            needs_review=True,
            assignee=LONG_NAME,
            first_response_due=_minutes(1),
            first_response_at=now,
            resolution_due=_minutes(5000),
            created_at=now,
        )
    )


def test_the_review_queue_is_ordered_by_urgency_then_due_time_then_age(db):
    with db.session() as session:
        add_queue(session, utcnow())
        session.commit()
    with db.session() as session:
        order = [ticket.number for ticket in review_queue(session)]
    assert order == EXPECTED_ORDER


def test_list_review_shows_the_queue_in_order_with_age_due_time_reason_and_whole_names(cli_db):
    run, database = cli_db
    before = utcnow()
    with database.session() as session:
        add_queue(session, before)
        session.commit()

    table = run("tickets", "list", "--review")
    after = utcnow()

    numbers = re.findall(r"^(EML-\d{6})\b", table, re.MULTILINE)
    assert numbers == EXPECTED_ORDER
    header = table.splitlines()[0].split()
    assert {"age", "next", "due", "review", "assignee"} <= set(header)
    row = next(line for line in table.splitlines() if line.startswith("EML-000003"))
    assert LONG_NAME in row and "reason of EML-000003" in row
    created, due = before - timedelta(minutes=5), before + timedelta(minutes=20)
    moments = [before + timedelta(seconds=s) for s in range(int((after - before).total_seconds()) + 2)]
    cells = {(format_age(created, moment), format_due(due, moment, year=False)) for moment in moments}
    assert any(re.search(rf" {age} +{re.escape(left)} ", row) for age, left in cells), row
    assert "\x1b[" not in table  # piped: no colour codes
    listed = json.loads(run("tickets", "list", "--review", "--format", "json"))
    assert [t["number"] for t in listed] == EXPECTED_ORDER
    assert {"number", "status", "urgency", "needs_review", "created_at", "next_due", "review_reasons"} <= set(listed[0])


MARKUP_SUBJECTS = ["window broken [/]", "[urgent] no heating", "[link=http://x]click[/link] leak"]


def test_list_shows_a_tenants_square_brackets_literally(cli_db):
    run, database = cli_db
    with database.session() as session:
        for i, subject in enumerate(MARKUP_SUBJECTS, start=1):
            session.add(
                Ticket(
                    number=f"EML-00010{i}",
                    channel="email",
                    status="new",
                    subject=subject,
                    requester="tenant@example.org",
                    needs_review=True,
                    review_reasons=[f"quoted {subject}"],
                )
            )
        session.commit()
    for args in (("tickets", "list"), ("tickets", "list", "--review")):
        table = run(*args)
        for subject in MARKUP_SUBJECTS:
            assert subject in table and f"quoted {subject}" in table


def test_on_a_terminal_a_tenants_link_markup_is_text_not_a_link(monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")  # wide enough for the subject on one line
    row = {
        "number": "EML-000001",
        "status": "new",
        "urgency": None,
        "created_at": utcnow(),
        "next_due": None,
        "category": None,
        "subcategory": None,
        "property_id": None,
        "unit": None,
        "team": None,
        "assignee": None,
        "needs_review": False,
        "subject": "[link=http://x]click[/link] [urgent] [/]",
    }
    drawn = format_table([row], terminal=True)
    assert "[link=http://x]click[/link] [urgent] [/]" in re.sub(r"\x1b\[[0-9;]*m", "", drawn)
    assert "\x1b]8;" not in drawn  # no terminal hyperlink


def test_show_prints_no_none_and_a_timeline_of_readable_lines(cli_db):
    run, database = cli_db
    with database.session() as session:
        ticket = Ticket(
            number="WA-000001",
            channel="whatsapp",
            status="new",
            requester="+15550100101",
            needs_review=True,
            review_reasons=["no topic words"],
            created_at=utcnow(),
        )
        session.add(ticket)
        ticket_store.add_event(
            session,
            ticket,
            "fields-changed",
            actor="low-confidence-to-triage",
            changes={"team": {"from": None, "to": "dispatch"}, "tags": {"from": [], "to": ["x"]}},
            reason="sent to triage because rule `low-confidence-to-triage` matched",
            at=utcnow(),
        )
        session.commit()

    shown = run("tickets", "show", "WA-000001")

    assert "None" not in shown and "null" not in shown and "{" not in shown
    assert "team: — → dispatch" in shown and "tags: — → x" in shown
    assert "why: sent to triage because rule" in shown
    as_json = json.loads(run("tickets", "show", "WA-000001", "--format", "json"))
    assert as_json["timeline"][0]["changes"]["team"] == {"from": None, "to": "dispatch"}  # JSON keeps its shape


@pytest.mark.slow  # the demo and its commands as real processes
def test_demo_ends_with_commands_that_work_pasted_as_printed(tmp_path):
    intake = Path(sys.executable).parent / "intake"  # the venv's script, as the README's command installs it
    env = {key: value for key, value in os.environ.items() if not key.startswith("INTAKE_")}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"  # the venv is not activated, as after the README's command
    (tmp_path / "here").mkdir()
    demo = subprocess.run(
        [str(intake), "demo", "--samples", str(SAMPLES)],
        cwd=tmp_path / "here",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert " INFO " not in demo.stderr, demo.stderr[:2000]  # a line per item is for -v, not the first run
    commands = re.findall(r"INTAKE_DATABASE_URL=\S+ .*?tickets (?:list --review|show \S+)", demo.stdout)
    assert commands, demo.stdout[-2000:]

    (tmp_path / "elsewhere").mkdir()  # pasted in the same shell, maybe after a `cd`
    ran = {
        command: subprocess.run(
            ["bash", "-c", command], cwd=tmp_path / "elsewhere", env=env, capture_output=True, text=True, timeout=120
        )
        for command in commands
    }

    for command, result in ran.items():
        assert result.returncode == 0, f"{command}\n{result.stderr[-2000:]}"
    [listed] = [result for command, result in ran.items() if command.endswith("list --review")]
    [(show, shown)] = [(command, result) for command, result in ran.items() if " show " in command]
    assert "in the triage queue" in listed.stdout
    assert shown.stdout.startswith(show.split()[-1])
    assert f"The demo's database: {tmp_path / 'here' / 'intake-demo' / 'intake.db'}" in demo.stdout
