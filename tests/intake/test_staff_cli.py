"""Staff commands as a user runs them: each `intake` command its own process, on a SQLite file and on
PostgreSQL, with no Redis (the in-process broker lives and dies with each command)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

INTAKE = str(Path(sys.executable).with_name("intake"))
REPORT = ("--by", "dora-dispatcher", "--requester", "maria@example.net", "--subject", "Reimbursement for emergency plumber",
          "--text", "I paid the emergency plumber myself last weekend. How do I get reimbursed? Receipt attached.")


def intake(tmp_path: Path, db_url: str, *args: str) -> str:
    """Run one `intake` command in a process of its own; its standard output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env |= {"INTAKE_DATABASE_URL": db_url, "INTAKE_RULES_DIR": str(ROOT / "rules"),
            "INTAKE_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([INTAKE, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_finishing_triage_in_its_own_process_routes_the_ticket(db, tmp_path):
    created = intake(tmp_path, db.url, "tickets", "create", *REPORT)
    number = created.split()[0]
    assert "NEEDS REVIEW" in created and "team dispatch" in created  # the triage queue

    said = intake(tmp_path, db.url, "tickets", "status", number, "triaged", "--actor", "dora-dispatcher")
    assert f"{number}: new → triaged" in said
    assert f"{number}: routed by the rules (payment-questions): team billing, assignee b" in said

    shown = json.loads(intake(tmp_path, db.url, "tickets", "show", number, "--format", "json"))
    assert (shown["status"], shown["team"], shown["needs_review"]) == ("assigned", "billing", False)
    assert shown["assignee"] in ("bea-billing", "ben-billing")
    triaged = next(i for i, e in enumerate(shown["timeline"]) if e["kind"] == "status-changed"
                   and e["changes"]["status"]["to"] == "triaged")
    after = shown["timeline"][triaged + 1:]
    assert [e["changes"]["matched"] for e in after if e["kind"] == "rules-evaluated"] == [["payment-questions"]]
    teams = [(e["actor"], e["changes"]["team"]["to"]) for e in after if e["kind"] == "fields-changed" and "team" in e["changes"]]
    assert teams == [("dora-dispatcher", None), ("payment-questions", "billing")]  # released, then routed once
    assert any("because rule `payment-questions` matched category=payment" in (e["reason"] or "") for e in after)
