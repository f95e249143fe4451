"""The safety net through the real pipeline (intake/pipeline/safety_net.py), SQLite and PostgreSQL: a message the
classifier flags `possible_emergency` is routed at once like any, pinned on top of the triage queue until a person
settles it, and the on-call person is notified exactly once, with the reasons.

The messages are our own sentences, each checked against the classifier first (`flagged`), so a change of the
classifier shows up as that assertion failing, not as a puzzling pipeline failure.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import make_msgid

import pytest

from classifiers import Classifier, ClassifyInput
from intake.channels.email.files import email_raw
from intake.cli.emergency import clear, confirm
from intake.cli.staff import StaffError
from intake.ingest import accept
from intake.pipeline.process import process_raw
from store.review_queue import review_queue
from tests.conftest import ROOT
from tests.intake.channels.email.threading.test_pipeline import eml, load

TENANT = "maria@example.net"
T0 = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 in New York: plumbers on shift
DRIP = (
    "Drip from the bathroom ceiling",
    "Water dripping from the bathroom ceiling into a bucket in 101, once a minute.",
)
HINGE = ("Loose cupboard hinge", "The kitchen cupboard door hinge is loose in 101, could someone fix it next week?")
DRIP_UPDATE = "Update: now water is dripping from the ceiling above the cupboard into a bowl, a drop every few minutes."
SAFETY_LOG = "intake.pipeline.safety_net"


@pytest.fixture(scope="module")
def classifier():
    from store.registry import load_registry

    return Classifier.load(ROOT / "rules", load_registry(ROOT / "samples" / "registry.yaml"))


def flagged(classifier, subject: str, body: str) -> list[str]:
    """The classifier's reasons for flagging this message; fails when it does not flag it."""
    result = classifier.classify(ClassifyInput(channel="email", sender=TENANT, subject=subject, body=body))
    assert result.possible_emergency and result.urgency != "urgent", (result.urgency, result.emergency_reasons)
    return result.emergency_reasons


def deliver(rt, data: bytes, at: datetime):
    rt.clock = lambda: at
    (result,) = accept(rt.db, [email_raw(data, "test")], enqueue=False)
    return process_raw(rt, result.raw_id), result.raw_id


def events(ticket, kind: str):
    return [e for e in ticket.events if e.kind == kind]


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == SAFETY_LOG and r.levelno == logging.WARNING]


def test_a_flagged_message_is_routed_at_once_pinned_on_top_and_on_call_is_told_once(
    runtime, stub_broker, classifier, caplog
):
    reasons = flagged(classifier, *DRIP)
    caplog.set_level(logging.INFO)
    plain, _ = deliver(runtime, eml(TENANT, subject=HINGE[0], body=HINGE[1]), T0)
    triage, _ = deliver(
        runtime,
        eml("someone@example.org", subject="Help", body="Something is wrong, call me back."),
        T0 + timedelta(minutes=1),
    )
    drip, raw_id = deliver(runtime, eml(TENANT, subject=DRIP[0], body=DRIP[1]), T0 + timedelta(minutes=2))
    ticket = load(runtime, drip.ticket_number)

    # routed at once, like the unflagged ticket: the flag holds nothing up and sends nothing to triage
    assert (ticket.status, ticket.team, ticket.needs_review, ticket.review_reasons) == (
        "assigned",
        "plumbing",
        False,
        [],
    )
    assert ticket.assignee and load(runtime, plain.ticket_number).status == "assigned"
    assert (ticket.emergency_state, ticket.emergency_reasons) == ("open", reasons)
    (event,) = events(ticket, "possible-emergency")
    assert event.actor == "classifier" and event.reason == "; ".join(reasons)
    (told,) = events(ticket, "notified")
    assert (told.actor, told.changes["target"], told.changes["reasons"]) == ("safety-net", "olu-oncall", reasons)
    assert all(reason in told.reason for reason in reasons)

    # pinned on top of the triage queue, though nothing else sends it there; the unflagged ticket is not in it
    with runtime.db.session() as session:
        queue = [t.number for t in review_queue(session)]
    assert queue == [drip.ticket_number, triage.ticket_number]

    # one WARNING line, starting with the ticket number, without the tenant's words or address
    (line,) = warnings(caplog)
    assert line.startswith(f"{drip.ticket_number} possible emergency: on-call olu-oncall notified")
    assert "bucket" not in line and "ceiling" not in line and TENANT not in line

    # exactly once: the same mail delivered again, and the same item processed again, tell nobody again
    again, _ = deliver(runtime, eml(TENANT, subject=DRIP[0], body=DRIP[1]), T0 + timedelta(minutes=3))
    assert process_raw(runtime, raw_id).state == "skipped"
    assert len(events(load(runtime, drip.ticket_number), "notified")) == 1
    assert again.ticket_number != drip.ticket_number  # another mail (new Message-ID): its own ticket, its own flag
    assert len(warnings(caplog)) == 2


def test_the_same_bytes_redelivered_notify_nobody_again(runtime, stub_broker, classifier, caplog):
    flagged(classifier, *DRIP)
    caplog.set_level(logging.INFO)
    data = eml(TENANT, subject=DRIP[0], body=DRIP[1])
    first, _ = deliver(runtime, data, T0)
    second, _ = deliver(runtime, data, T0 + timedelta(minutes=1))  # a redelivery: the same Message-ID
    assert second.state == "skipped" and second.ticket_number is None
    assert len(events(load(runtime, first.ticket_number), "notified")) == 1 and len(warnings(caplog)) == 1


def test_a_follow_up_raises_the_flag_once_and_never_notifies_twice(runtime, stub_broker, classifier, caplog):
    reasons = flagged(classifier, "Re: " + HINGE[0], DRIP_UPDATE)
    caplog.set_level(logging.INFO)
    first_id = make_msgid(domain="example.net")
    opened, _ = deliver(runtime, eml(TENANT, subject=HINGE[0], body=HINGE[1], message_id=first_id), T0)
    assert load(runtime, opened.ticket_number).emergency_state is None
    reply_id = make_msgid(domain="example.net")
    deliver(
        runtime,
        eml(
            TENANT,
            subject="Re: " + HINGE[0],
            body=DRIP_UPDATE,
            message_id=reply_id,
            in_reply_to=first_id,
            references=[first_id],
        ),
        T0 + timedelta(hours=1),
    )
    ticket = load(runtime, opened.ticket_number)
    assert (ticket.emergency_state, ticket.emergency_reasons) == ("open", reasons)
    assert [e.actor for e in events(ticket, "possible-emergency")] == ["classifier"]
    assert [e.changes["target"] for e in events(ticket, "notified")] == ["olu-oncall"]

    deliver(
        runtime,
        eml(
            TENANT,
            subject="Re: " + HINGE[0],
            body="Still dripping from the ceiling into the bucket, once a minute.",
            in_reply_to=reply_id,
            references=[first_id, reply_id],
        ),
        T0 + timedelta(hours=2),
    )
    ticket = load(runtime, opened.ticket_number)
    assert ticket.emergency_state == "open" and len(events(ticket, "notified")) == 1
    assert len(warnings(caplog)) == 1


def test_an_urgent_message_is_raised_not_flagged(runtime, stub_broker):
    outcome, _ = deliver(
        runtime, eml(TENANT, subject="Flood", body="The basement is flooded, water everywhere, unit 101."), T0
    )
    ticket = load(runtime, outcome.ticket_number)
    assert ticket.urgency == "urgent" and ticket.emergency_state is None and not events(ticket, "notified")


def test_confirming_makes_it_urgent_re_routes_it_and_unpins_it(runtime, stub_broker, classifier):
    flagged(classifier, *DRIP)
    night = datetime(2026, 11, 4, 4, 0, tzinfo=UTC)  # 23:00 in New York: the office is closed
    outcome, _ = deliver(runtime, eml(TENANT, subject=DRIP[0], body=DRIP[1]), night)
    number = outcome.ticket_number
    before = load(runtime, number)
    assert before.team == "plumbing" and before.urgency == "high"
    runtime.clock = lambda: night + timedelta(minutes=5)
    said = confirm(runtime, number, actor="dora-dispatcher", reason="water reaches the light")
    ticket = load(runtime, number)
    assert said.startswith(
        f"{number}: possible emergency confirmed by dora-dispatcher: urgency urgent, priority URGENT"
    )
    assert (ticket.urgency, ticket.priority, ticket.emergency_state) == ("urgent", "URGENT", "confirmed")
    assert (ticket.emergency_settled_by, ticket.emergency_settled_why) == ("dora-dispatcher", "water reaches the light")
    (settled,) = events(ticket, "emergency-confirmed")
    assert settled.actor == "dora-dispatcher" and settled.changes["emergency_state"] == {
        "from": "open",
        "to": "confirmed",
    }
    setters = {field: e.actor for e in events(ticket, "fields-changed") for field in e.changes}
    assert setters["priority"] == "dora-dispatcher"  # the person's: rules never override it
    assert ticket.assignee == "olu-oncall" and setters["assignee"] == "after-hours-urgent"  # the rules re-decided
    # re-planned on the urgent targets (30 minutes at most, day and night), counted from the ticket's creation
    assert ticket.first_response_due <= night + timedelta(minutes=30) < before.first_response_due
    with runtime.db.session() as session:
        assert number not in [t.number for t in review_queue(session)]
    with pytest.raises(StaffError, match="already confirmed by dora-dispatcher"):
        clear(runtime, number, actor="dora-dispatcher")


def test_clearing_unpins_it_and_keeps_who_when_and_why(runtime, stub_broker, classifier):
    flagged(classifier, *DRIP)
    outcome, _ = deliver(runtime, eml(TENANT, subject=DRIP[0], body=DRIP[1]), T0)
    number, before = outcome.ticket_number, load(runtime, outcome.ticket_number)
    runtime.clock = lambda: T0 + timedelta(minutes=7)
    assert (
        clear(runtime, number, actor="dora-dispatcher", reason="a bucket is enough, plumber tomorrow")
        == f"{number}: possible emergency cleared by dora-dispatcher: a bucket is enough, plumber tomorrow"
    )
    ticket = load(runtime, number)
    assert ticket.emergency_state == "cleared" and ticket.emergency_reasons == before.emergency_reasons
    assert (ticket.emergency_settled_by, ticket.emergency_settled_at) == ("dora-dispatcher", T0 + timedelta(minutes=7))
    assert ticket.emergency_settled_why == "a bucket is enough, plumber tomorrow"
    assert [e.actor for e in events(ticket, "emergency-cleared")] == ["dora-dispatcher"]
    assert (ticket.urgency, ticket.priority, ticket.assignee) == (before.urgency, before.priority, before.assignee)
    with runtime.db.session() as session:
        assert review_queue(session) == []
    with pytest.raises(StaffError, match="already cleared"):
        clear(runtime, number, actor="dora-dispatcher")


def test_an_unflagged_ticket_cannot_be_settled(runtime, stub_broker):
    outcome, _ = deliver(runtime, eml(TENANT, subject=HINGE[0], body=HINGE[1]), T0)
    with pytest.raises(StaffError, match="never flagged"):
        confirm(runtime, outcome.ticket_number, actor="dora-dispatcher")
