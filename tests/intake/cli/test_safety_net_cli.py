"""The safety net as a dispatcher sees it: each `intake` command its own process, on SQLite and PostgreSQL.
A mail the classifier flags is pinned on top of `tickets list --review` (table and JSON), `tickets show` says
why, and `tickets emergency … confirm|clear` takes it off the list."""

from __future__ import annotations

import json
from email.utils import make_msgid

import pytest

from tests.conftest import ROOT
from tests.intake.channels.email.threading.test_pipeline import eml
from tests.intake.cli.test_staff_cli import intake
from tests.intake.pipeline.test_safety_net import DRIP, HINGE, TENANT, classifier, flagged  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow  # each `intake` command its own process


def ingest(tmp_path, db, mails: dict[str, bytes]) -> None:
    for name, data in mails.items():
        (tmp_path / name).write_bytes(data)
    intake(tmp_path, db.url, "ingest", *(str(tmp_path / name) for name in mails))


def test_a_flagged_mail_is_pinned_in_the_triage_view_until_a_person_settles_it(db, tmp_path, classifier):
    reasons = flagged(classifier, *DRIP)
    intake(tmp_path, db.url, "registry", "import", str(ROOT / "samples" / "registry.yaml"))  # Maria is a tenant
    ingest(
        tmp_path,
        db,
        {
            "hinge.eml": eml(TENANT, subject=HINGE[0], body=HINGE[1]),
            "help.eml": eml("someone@example.org", subject="Help", body="Something is wrong, call me back."),
            "drip.eml": eml(TENANT, subject=DRIP[0], body=DRIP[1], message_id=make_msgid()),
        },
    )

    rows = json.loads(intake(tmp_path, db.url, "tickets", "list", "--review", "--format", "json"))
    assert [row["subject"] for row in rows] == [DRIP[0], "Help"]  # pinned first, then the triage queue
    drip = rows[0]["number"]
    assert rows[0]["possible_emergency"]["state"] == "open" and rows[0]["possible_emergency"]["reasons"] == reasons
    assert (
        rows[0]["needs_review"] is False and rows[0]["status"] == "assigned" and rows[1]["possible_emergency"] is None
    )
    table = intake(tmp_path, db.url, "tickets", "list", "--review")
    drip_line = next(line for line in table.splitlines() if line.startswith(drip))
    assert f"⚠ possible emergency: {reasons[0]}" in drip_line
    assert table.splitlines()[-1] == "2 tickets, 1 in the triage queue, 1 possible emergency to confirm or clear"
    shown = intake(tmp_path, db.url, "tickets", "show", drip)
    assert "⚠ POSSIBLE EMERGENCY (open: pinned in the triage queue" in shown
    assert all(f"    - {reason}" in shown for reason in reasons) and "safety-net: notified" in shown

    said = intake(
        tmp_path, db.url, "tickets", "emergency", drip, "clear", "--by", "dora-dispatcher", "--reason", "contained"
    )
    assert said.strip() == f"{drip}: possible emergency cleared by dora-dispatcher: contained"
    rows = json.loads(intake(tmp_path, db.url, "tickets", "list", "--review", "--format", "json"))
    assert [row["subject"] for row in rows] == ["Help"]

    said = intake(tmp_path, db.url, "tickets", "emergency", drip, "confirm", "--by", "dora-dispatcher")
    assert said.startswith(f"{drip}: possible emergency confirmed by dora-dispatcher: urgency urgent, priority URGENT")
    shown = intake(tmp_path, db.url, "tickets", "show", drip)
    assert "urgency urgent  priority URGENT" in shown
    assert "  possible emergency confirmed by dora-dispatcher " in shown and "; flagged because:" in shown
    assert "dora-dispatcher: emergency-cleared" in shown and "dora-dispatcher: emergency-confirmed" in shown
