"""Rules on changed tickets, through the real pipeline, the real Redis broker and a real worker: a follow-up
that raises the urgency is re-decided (a person's assignment stays), a reply that reopens a resolved ticket gets
its SLA timers back, finishing triage sends `assign_ticket`, and contract conditions see the registry."""

from __future__ import annotations

import shutil

from intake.channels.email.files import email_raw
from intake.cli.staff import assign, set_status
from intake.ingest import accept
from store.models import Ticket
from tests.assignment.integration.conftest import MINUTE, at, drain, events_of, new_ticket, timers_of
from tests.conftest import ROOT
from tests.intake.pipeline.test_pipeline import make_email

DRAIN = {
    "subject": "Slow drain",
    "body": "The bathroom sink in unit 101 drains slowly. No rush, whenever someone is around.",
}
POURING = "Now water is pouring through the ceiling of the flat below!"


def opened(runtime, broker, worker, message_id: str, **email) -> Ticket:
    ticket_id = new_ticket(runtime, broker, worker, message_id=message_id, **(DRAIN | email))
    return ticket(runtime, ticket_id)


def follow_up(runtime, broker, worker, message_id: str, body: str, **email) -> None:
    raw = make_email(subject="Re: Slow drain", body=body, in_reply_to=message_id, **email)
    accept(runtime.db, [email_raw(raw, "test")])
    drain(broker, worker)


def ticket(runtime, ticket_id: str) -> Ticket:
    with runtime.db.session() as session:
        row = session.get(Ticket, ticket_id)
        session.expunge(row)
        return row


def changed_by(runtime, ticket_id: str, field: str) -> list[tuple[str, object, str]]:
    """(actor, new value, reason) of every timeline change to `field`."""
    return [
        (e.actor, e.changes[field]["to"], e.reason)
        for e in events_of(runtime, ticket_id, "fields-changed")
        if field in e.changes
    ]


def test_a_followup_that_raises_the_urgency_is_re_decided(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-30T10:00:00-05:00"))  # Monday, office open, both plumbers on shift
    first = opened(runtime, timer_broker, worker, "<drain-1@example.net>")
    assert (first.urgency, first.priority, first.team) == ("standard", "STANDARD", "plumbing")
    assert first.first_response_due == at("2026-11-30T14:00:00-05:00")  # 4 business hours

    clock.set(at("2026-11-30T10:05:00-05:00"))
    follow_up(runtime, timer_broker, worker, "<drain-1@example.net>", POURING)
    after = ticket(runtime, first.id)
    assert (after.urgency, after.priority) == ("urgent", "URGENT")
    assert (after.team, after.assignee, after.status) == ("plumbing", first.assignee, "assigned")  # same rule: kept
    # HBR's contract is in force: the contract override's 15 minutes, counted from the ticket's creation
    assert after.first_response_due == at("2026-11-30T10:15:00-05:00")
    assert timers_of(runtime, first.id)["first_response_breach"].due_at == at("2026-11-30T10:15:00-05:00")
    urgency = changed_by(runtime, first.id, "urgency")
    assert (
        urgency[-1][:2] == ("classifier", "urgent")
        and "follow-up raised the urgency standard → urgent" in urgency[-1][2]
    )
    sla = changed_by(runtime, first.id, "first_response_due")[-1]
    assert sla[0] == "harbor-view-contract" or "follow-up: urgency standard → urgent" in sla[2]


def test_after_hours_urgent_followup_goes_to_on_call_but_a_persons_assignment_stays(
    runtime, clock, timer_broker, worker_factory
):
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-30T17:55:00-05:00"))  # office open; quinn-plumber on shift
    by_rules = opened(runtime, timer_broker, worker, "<drain-2@example.net>")
    clock.set(clock() + MINUTE)
    by_person = opened(
        runtime,
        timer_broker,
        worker,
        "<drain-3@example.com>",
        sender="j.carter@example.com",
        name="James Carter",
        subject="Sink drains slowly",
        body=DRAIN["body"].replace("101", "102"),
    )
    assign(runtime, by_person.number, "gus-general", actor="dispatcher-dana")
    set_status(runtime, by_person.number, "in_progress", actor="gus-general")

    clock.set(at("2026-11-30T18:01:00-05:00"))  # the office closed at 18:00; the new urgent timers are ahead
    follow_up(runtime, timer_broker, worker, "<drain-2@example.net>", POURING)
    follow_up(
        runtime,
        timer_broker,
        worker,
        "<drain-3@example.com>",
        POURING.replace("flat", "unit"),
        sender="j.carter@example.com",
        name="James Carter",
    )

    moved = ticket(runtime, by_rules.id)
    assert (moved.priority, moved.assignee) == ("URGENT", "olu-oncall")
    assert changed_by(runtime, by_rules.id, "assignee")[-1][:2] == ("after-hours-urgent", "olu-oncall")
    assert "because rule `after-hours-urgent` matched" in changed_by(runtime, by_rules.id, "assignee")[-1][2]
    told = [(e.actor, e.changes["target"]) for e in events_of(runtime, by_rules.id, "notification-requested")]
    assert ("after-hours-urgent", "olu-oncall") in told

    kept = ticket(runtime, by_person.id)
    assert (kept.priority, kept.assignee, kept.status) == ("URGENT", "gus-general", "in_progress")
    notes = [e.reason for e in events_of(runtime, by_person.id, "rules-kept")]
    assert len(notes) == 1 and "kept gus-general: assigned by dispatcher-dana" in notes[0]


def test_a_reply_that_reopens_a_resolved_ticket_gets_its_sla_timers_back(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-30T09:00:00-05:00"))  # standard: resolution 48 business hours
    first = opened(runtime, timer_broker, worker, "<drain-4@example.net>")
    due = first.resolution_due
    clock.set(at("2026-11-30T11:00:00-05:00"))
    set_status(runtime, first.number, "resolved", actor="pat-plumber")
    assert {r.state for k, r in timers_of(runtime, first.id).items() if k.startswith("resolution")} == {"cancelled"}

    clock.set(at("2026-12-01T10:00:00-05:00"))  # Tuesday: 9 open hours spent resolved
    follow_up(runtime, timer_broker, worker, "<drain-4@example.net>", "It is draining slowly again, sorry.")
    after = ticket(runtime, first.id)
    assert after.status == "in_progress"
    resolution = {k: r for k, r in timers_of(runtime, first.id).items() if k.startswith("resolution")}
    assert {r.state for r in resolution.values()} == {"scheduled"}
    assert after.resolution_due == resolution["resolution_breach"].due_at != due
    # 2 of 48 business hours used before resolving; the other 46 count from the reopening, not from Monday
    assert after.resolution_due == at("2026-12-07T12:00:00-05:00")
    assert any(
        "reopened by the tenant's reply" in reason for *_, reason in changed_by(runtime, first.id, "resolution_due")
    )


def test_finishing_triage_sends_assign_ticket(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-30T11:00:00-05:00"))
    unsure = opened(
        runtime,
        timer_broker,
        worker,
        "<unsure@example.net>",
        subject="Re: Slow drain",
        body="Thanks for the quick answer.",
    )  # low confidence: the triage rule sends it to dispatch
    assert (unsure.team, unsure.needs_review, unsure.status) == ("dispatch", True, "new")
    set_status(runtime, unsure.number, "triaged", actor="dora-dispatcher", reason="checked: a plumbing question")
    drain(timer_broker, worker)  # the worker runs `assign_ticket`
    after = ticket(runtime, unsure.id)
    assert (after.team, after.status, after.needs_review) == ("plumbing", "assigned", False)
    assert changed_by(runtime, unsure.id, "team")[-1][:2] == ("plumbing-specialist", "plumbing")


def test_contract_conditions_see_the_registry(runtime, clock, timer_broker, worker_factory, tmp_path):
    rules = tmp_path / "rules-contract"
    shutil.copytree(ROOT / "rules", rules)
    sla = rules / "sla.yaml"
    sla.write_text(
        sla.read_text(encoding="utf-8")
        .replace("when: {property: HBR, contract_status: active}", "when: {contract: HBR-2026-01-01}")
        .replace("targets:\n      urgent:", "targets:\n      standard: {first_response: 1h}\n      urgent:"),
        encoding="utf-8",
    )
    runtime.settings = runtime.settings.model_copy(update={"rules_dir": rules})
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-30T10:00:00-05:00"))
    harbor = opened(runtime, timer_broker, worker, "<drain-5@example.net>")
    clock.set(clock() + MINUTE)
    oak = opened(
        runtime, timer_broker, worker, "<drain-6@example.com>", sender="carlos.mendez@example.com", name="Carlos Mendez"
    )  # OAK's contract ended on 2026-06-30
    assert harbor.first_response_due == at("2026-11-30T11:00:00-05:00")  # the contract's 1 hour
    assert oak.property_id == "OAK" and oak.first_response_due == at("2026-11-30T14:01:00-05:00")
    from assignment.ticket_facts import ticket_facts

    with runtime.db.session() as session:
        facts = [ticket_facts(session.get(Ticket, t.id)) for t in (harbor, oak)]
    assert [(f.contract, f.contract_status) for f in facts] == [("HBR-2026-01-01", "active"), (None, "expired")]
    assert changed_by(runtime, harbor.id, "first_response_due")[0][0] == "harbor-view-contract"


def test_a_stale_check_sla_message_does_nothing(runtime, clock, timer_broker, worker_factory):
    from assignment.actors_impl import find_timer

    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-30T09:00:00-05:00"))
    first = opened(runtime, timer_broker, worker, "<drain-7@example.net>")
    warn = timers_of(runtime, first.id)["first_response_warn"]
    assert find_timer(runtime, first.id, warn.kind, warn.due_at.isoformat()) == warn.id
    clock.set(at("2026-11-30T09:30:00-05:00"))
    set_status(runtime, first.number, "pending", actor="pat-plumber")
    clock.set(at("2026-11-30T10:30:00-05:00"))
    set_status(runtime, first.number, "in_progress", actor="pat-plumber")  # warn moved 1 h later
    moved = timers_of(runtime, first.id)["first_response_warn"]
    assert moved.due_at == warn.due_at + 60 * MINUTE
    clock.set(warn.due_at + MINUTE)  # the old message arrives after its old due time
    assert find_timer(runtime, first.id, warn.kind, warn.due_at.isoformat()) is None
    timer_broker.get_actor("check_sla").send(first.id, warn.kind, warn.due_at.isoformat())
    drain(timer_broker, worker)
    assert timers_of(runtime, first.id)["first_response_warn"].state == "scheduled"
    assert events_of(runtime, first.id, "sla-escalated") == []
    clock.set(moved.due_at)
    timer_broker.get_actor("check_sla").send(first.id, moved.kind, moved.due_at.isoformat())
    drain(timer_broker, worker)
    assert [e.actor for e in events_of(runtime, first.id, "sla-escalated")] == ["escalation-L1"]
