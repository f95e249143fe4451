"""Staff commands as a user runs them: each `intake` command its own process, on a SQLite file and on
PostgreSQL, with no Redis (the in-process broker lives and dies with each command), and with Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

from assignment.engine import RuleEngine
from intake.core.models import utcnow
from tests.conftest import REDIS_URL, ROOT

pytestmark = pytest.mark.slow  # each `intake` command its own process

INTAKE = str(Path(sys.executable).with_name("intake"))
REPORT = (
    "--by",
    "dora-dispatcher",
    "--requester",
    "maria@example.net",
    "--subject",
    "Reimbursement for emergency plumber",
    "--text",
    "I paid the emergency plumber myself last weekend. How do I get reimbursed? Receipt attached.",
)


def intake(tmp_path: Path, db_url: str, *args: str, **settings: str) -> str:
    """Run one `intake` command in a process of its own (`settings`: more INTAKE_… variables); its standard output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env |= {
        "INTAKE_DATABASE_URL": db_url,
        "INTAKE_RULES_DIR": str(ROOT / "rules"),
        "INTAKE_DATA_DIR": str(tmp_path / "data"),
    } | {f"INTAKE_{k.upper()}": v for k, v in settings.items()}
    done = subprocess.run([INTAKE, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def billing_on_shift() -> set[str]:
    """The billing people the real rules have on shift now (outside their hours a ticket gets the team only)."""
    people = RuleEngine.load(ROOT / "rules").people
    return {name for name in ("bea-billing", "ben-billing") if people[name].is_on_shift(utcnow())}


def test_finishing_triage_in_its_own_process_routes_the_ticket(db, tmp_path):
    created = intake(tmp_path, db.url, "tickets", "create", *REPORT)
    number = created.split()[0]
    assert "NEEDS REVIEW" in created and "team dispatch" in created  # the triage queue

    on_shift_before = billing_on_shift()
    said = intake(tmp_path, db.url, "tickets", "status", number, "triaged", "--actor", "dora-dispatcher")
    on_shift_after = billing_on_shift()
    assert f"{number}: new → triaged" in said
    assert f"{number}: routed by the rules (payment-questions): team billing" in said

    shown = json.loads(intake(tmp_path, db.url, "tickets", "show", number, "--format", "json"))
    assert (shown["status"], shown["team"], shown["needs_review"]) == ("assigned", "billing", False)
    if on_shift_before == on_shift_after:  # nobody of billing on shift: the team's queue
        assert shown["assignee"] in (on_shift_after or {None})
    else:  # a shift began or ended while the command ran
        assert shown["assignee"] in on_shift_before | on_shift_after | {None}
    triaged = next(
        i
        for i, e in enumerate(shown["timeline"])
        if e["kind"] == "status-changed" and e["changes"]["status"]["to"] == "triaged"
    )
    after = shown["timeline"][triaged + 1 :]
    assert [e["changes"]["matched"] for e in after if e["kind"] == "rules-evaluated"] == [["payment-questions"]]
    teams = [
        (e["actor"], e["changes"]["team"]["to"])
        for e in after
        if e["kind"] == "fields-changed" and "team" in e["changes"]
    ]
    assert teams == [("dora-dispatcher", None), ("payment-questions", "billing")]  # released, then routed once
    assert any("because rule `payment-questions` matched category=payment" in (e["reason"] or "") for e in after)


def test_on_redis_the_routing_goes_to_redis_for_the_workers(db, tmp_path):
    number = intake(tmp_path, db.url, "tickets", "create", *REPORT).split()[0]
    namespace = f"intake-test-staff-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        said = intake(
            tmp_path,
            db.url,
            "tickets",
            "status",
            number,
            "triaged",
            "--actor",
            "dora-dispatcher",
            redis_url=REDIS_URL,
            redis_namespace=namespace,
        )
        assert f"{number}: not routed yet" in said  # no worker runs in the command
        queued = [key.decode() for key in client.scan_iter(f"{namespace}*")]
        assert f"{namespace}:timers" in queued  # `assign_ticket` waits in Redis for a worker
    finally:
        for key in client.scan_iter(f"{namespace}*"):
            client.delete(key)
    shown = json.loads(intake(tmp_path, db.url, "tickets", "show", number, "--format", "json"))
    assert (shown["status"], shown["team"], shown["assignee"]) == ("triaged", None, None)
