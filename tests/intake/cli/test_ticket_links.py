"""`intake tickets merge` and `unlink` as plain functions on the real pipeline's tickets (SQLite and PostgreSQL), and
as a user runs them: each `intake` command its own process, without Redis."""

from __future__ import annotations

import json
from datetime import timedelta
from email.utils import make_msgid

import pytest
from sqlalchemy import select

from assignment.routing import sweep_unrouted
from intake.cli.links import merge, unlink
from store.models import SlaTimer, Ticket
from tests.intake.channels.email.threading.test_pipeline import deliver, eml, load
from tests.intake.cli.test_staff_cli import intake
from tests.intake.pipeline.test_followup_policy import T0, send

MARIA = "maria@example.net"


def test_merge_moves_the_messages_closes_the_other_and_later_mail_follows(runtime, stub_broker):
    runtime.clock = lambda: T0
    first_id = make_msgid(domain="example.net")
    deliver(runtime, eml(MARIA, subject="Leak under the kitchen sink", body="Slow leak under the sink in 101."))
    deliver(
        runtime,
        eml(
            MARIA,
            subject="Cabinet floor soaked",
            message_id=first_id,
            body="The cabinet under the kitchen sink is soaked and the wood is swelling.",
        ),
    )
    assert load(runtime, "EML-000002").status != "merged"
    assert (
        merge(runtime, "EML-000001", "EML-000002", actor="dora-dispatch")
        == "EML-000002 merged into EML-000001: 1 messages moved"
    )
    into, source = load(runtime, "EML-000001"), load(runtime, "EML-000002")
    assert source.status == "merged" and source.messages == []
    assert [m.subject for m in into.messages] == ["Leak under the kitchen sink", "Cabinet floor soaked"]
    assert [(e.actor, e.changes["from"]) for e in into.events if e.kind == "merged"] == [
        ("dora-dispatch", "EML-000002")
    ]
    assert [e.changes["into"] for e in source.events if e.kind == "status-changed"][-1] == "EML-000001"
    with runtime.db.session() as session:
        states = (
            session.execute(
                select(SlaTimer.state)
                .join(Ticket, Ticket.id == SlaTimer.ticket_id)
                .where(Ticket.number == "EML-000002")
            )
            .scalars()
            .all()
        )
    assert states and "scheduled" not in states
    reply = deliver(
        runtime,
        eml(
            MARIA,
            subject="Re: Cabinet floor soaked",
            in_reply_to=first_id,
            references=[first_id],
            body="Photo of the cabinet attached.",
        ),
    )
    assert reply.ticket_number == "EML-000001"


def test_unlink_clears_the_link_and_sends_a_ticket_parked_only_for_it_back_to_the_rules(runtime, stub_broker):
    send(runtime, "email", MARIA, "Slow leak under the kitchen sink in 101.", T0, subject="Leak under the kitchen sink")
    outcome = send(
        runtime,
        "email",
        MARIA,
        "The kitchen sink pipe drips into the cabinet in 101.",
        T0 + timedelta(days=2),
        subject="Dripping pipe",
    )
    second = load(runtime, outcome.ticket_number)
    assert second.probable_followup_of == "EML-000001" and second.needs_review
    assert (
        unlink(runtime, second.number, "EML-000001", actor="dora-dispatch")
        == f"{second.number}: no longer linked to EML-000001"
    )
    second, first = load(runtime, second.number), load(runtime, "EML-000001")
    assert second.probable_followup_of is None and not second.needs_review and second.review_reasons == []
    assert [e.actor for e in second.events if e.kind == "unlinked"] == ["dora-dispatch"]
    assert [e.changes for e in first.events if e.kind == "unlinked"] == [{"from": second.number}]


def parked_followup(runtime):
    """Two reports from one tenant two days apart: the second waits in triage only as a probable follow-up."""
    send(runtime, "email", MARIA, "Slow leak under the kitchen sink in 101.", T0, subject="Leak under the kitchen sink")
    outcome = send(
        runtime,
        "email",
        MARIA,
        "The kitchen sink pipe drips into the cabinet in 101.",
        T0 + timedelta(days=2),
        subject="Dripping pipe",
    )
    second = load(runtime, outcome.ticket_number)
    assert (second.probable_followup_of, second.needs_review, second.status) == ("EML-000001", True, "new")
    return second


@pytest.mark.slow  # each `intake` command its own process
def test_unlink_in_its_own_process_without_redis_routes_the_ticket_by_the_rules(runtime, stub_broker, tmp_path):
    number = parked_followup(runtime).number
    said = intake(tmp_path, runtime.db.url, "tickets", "unlink", number, "--by", "dora-dispatch")
    assert f"{number}: no longer linked to EML-000001" in said
    shown = json.loads(intake(tmp_path, runtime.db.url, "tickets", "show", number, "--format", "json"))
    assert (shown["status"], shown["team"], shown["needs_review"]) == ("assigned", "plumbing", False)
    unlinked = max(i for i, e in enumerate(shown["timeline"]) if e["kind"] == "unlinked")
    assert [e["kind"] for e in shown["timeline"][unlinked:]].count("rules-evaluated") == 1


def test_the_sweeper_routes_an_unlinked_ticket_whose_message_was_lost_once(runtime, stub_broker, worker_factory):
    second = parked_followup(runtime)
    unlink(runtime, second.number, actor="dora-dispatch")
    stub_broker.flush_all()  # the command's `assign_ticket` died with it
    after = load(runtime, second.number)
    assert (after.status, after.team, after.assignee, after.needs_review) == ("new", None, None, False)
    assert sweep_unrouted(runtime) == []  # within the grace the command's own message may still come
    runtime.clock = lambda: T0 + timedelta(days=2, minutes=5)
    assert sweep_unrouted(runtime) == [second.id]  # the peer (EML-000001) was not sent back to the rules
    assert sweep_unrouted(runtime) == [second.id]  # a second sweep before a worker ran: two messages
    worker = worker_factory(stub_broker)
    stub_broker.join("timers")
    worker.join()
    routed = load(runtime, second.number)
    assert (routed.status, routed.team) == ("assigned", "plumbing")
    unlinked = max(e.id for e in routed.events if e.kind == "unlinked")
    assert len([e for e in routed.events if e.kind == "rules-evaluated" and e.id > unlinked]) == 1  # once
    assert sweep_unrouted(runtime) == []
