"""SLA timers end to end: the real pipeline, the real Redis broker on a private server and a real worker; the
clock jumps through business time (a weekend, a holiday) instead of sleeping."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from assignment.actors_impl import fire_timer, sweep_due_timers
from intake.cli.staff import respond, set_status
from store.models import Ticket
from tests.assignment.integration.conftest import MINUTE, at, drain, events_of, new_ticket, timers_of
from tests.conftest import ROOT, make_settings

DOOR = {
    "subject": "Loose door handle",
    "body": "The handle on the bedroom door in unit 101 is loose. Could someone tighten it sometime this week?",
}


def fired_levels(runtime, ticket_id) -> list[str]:
    return [event.actor for event in events_of(runtime, ticket_id, "sla-escalated")]


def sweep(runtime, broker, worker) -> list[int]:
    ids = sweep_due_timers(runtime)
    drain(broker, worker)
    return ids


@pytest.mark.parametrize(
    "created, expected",
    [
        # Saturday noon in New York: one open hour on Saturday, Sunday closed, the rest on Monday morning
        (
            "2026-11-28T12:00:00-05:00",
            {
                "first_response_warn": "2026-11-30T10:00:00-05:00",
                "first_response_escalate": "2026-11-30T10:36:00-05:00",
                "first_response_breach": "2026-11-30T11:00:00-05:00",
            },
        ),
        # the day before Thanksgiving at 17:00: one hour on Wednesday, Thursday is a holiday, the rest on Friday
        (
            "2026-11-25T17:00:00-05:00",
            {
                "first_response_warn": "2026-11-27T10:00:00-05:00",
                "first_response_escalate": "2026-11-27T10:36:00-05:00",
                "first_response_breach": "2026-11-27T11:00:00-05:00",
            },
        ),
    ],
    ids=["weekend", "holiday"],
)
def test_warning_escalation_and_breach_fire_at_business_moments(
    runtime, clock, timer_broker, worker_factory, created, expected
):
    worker = worker_factory(timer_broker)
    clock.set(at(created))
    ticket_id = new_ticket(runtime, timer_broker, worker, **DOOR)
    with runtime.db.session() as session:
        assignee = session.get(Ticket, ticket_id).assignee
    timers = timers_of(runtime, ticket_id)
    assert {kind: timers[kind].due_at for kind in expected} == {kind: at(due) for kind, due in expected.items()}
    for level, (kind, due) in enumerate(expected.items(), start=1):
        clock.set(at(due) - 5 * MINUTE)
        sweep(runtime, timer_broker, worker)
        assert len(fired_levels(runtime, ticket_id)) == level - 1, f"{kind} fired early"
        clock.set(at(due))
        sweep(runtime, timer_broker, worker)
        row = timers_of(runtime, ticket_id)[kind]
        assert (row.state, row.fired_at) == ("fired", at(due))
        assert fired_levels(runtime, ticket_id)[-1] == f"escalation-L{level}"
    notified = [(e.actor, e.changes["target"]) for e in events_of(runtime, ticket_id, "notification-requested")]
    l1 = [target for actor, target in notified if actor == "escalation-L1"]
    assert l1 == ([assignee] if assignee else [])  # L1 tells the assignee, when the rules found one on shift
    levels = [actor for actor, _ in notified]
    assert levels == sorted(levels)  # in order of the levels
    assert notified.count(("escalation-L2", "sam-supervisor")) == 1  # the supervisor leads the team too: once
    assert ("escalation-L2", "sam-supervisor") in notified
    assert ("escalation-L3", "olivia-ops") in notified
    with runtime.db.session() as session:
        assert session.get(Ticket, ticket_id).assignee == "sam-supervisor"  # L3 reassigns to the supervisor


def test_pending_pauses_and_resuming_after_the_deadline_moves_it(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-30T09:00:00-05:00"))  # Monday: warn at 12:00, breach at 13:00
    ticket_id = new_ticket(runtime, timer_broker, worker, **DOOR)
    number = _number(runtime, ticket_id)
    warn = timers_of(runtime, ticket_id)["first_response_warn"]
    assert warn.due_at == at("2026-11-30T12:00:00-05:00")

    clock.set(at("2026-11-30T09:30:00-05:00"))
    set_status(runtime, number, "pending", actor="dispatcher-dana", reason="waiting for the tenant's photos")
    assert {r.state for r in timers_of(runtime, ticket_id).values()} == {"cancelled"}
    clock.set(at("2026-11-30T12:30:00-05:00"))  # past the old warning: its messages arrive while paused
    timer_broker.get_actor("escalate").send(warn.id)
    timer_broker.get_actor("check_sla").send(ticket_id, warn.kind, warn.due_at.isoformat())
    drain(timer_broker, worker)
    assert fire_timer(runtime, warn.id) == "already cancelled"
    assert fired_levels(runtime, ticket_id) == []

    set_status(runtime, number, "in_progress", actor="maya-maintenance")  # resumed after the old deadline
    timers = timers_of(runtime, ticket_id)  # 3 h paused: every deadline moves 3 h
    assert timers["first_response_warn"].due_at == at("2026-11-30T15:00:00-05:00")
    assert timers["first_response_breach"].due_at == at("2026-11-30T16:00:00-05:00")
    assert timers["resolution_warn"].state == "scheduled"
    with runtime.db.session() as session:
        assert session.get(Ticket, ticket_id).first_response_due == at("2026-11-30T16:00:00-05:00")
    sweep(runtime, timer_broker, worker)
    assert fired_levels(runtime, ticket_id) == []  # nothing is due any more

    clock.set(at("2026-11-30T15:00:00-05:00"))
    sweep(runtime, timer_broker, worker)
    assert fired_levels(runtime, ticket_id) == ["escalation-L1"]

    clock.set(at("2026-11-30T15:10:00-05:00"))
    respond(runtime, number, "We will come by tomorrow at 9.", actor="maya-maintenance")
    assert timers_of(runtime, ticket_id)["first_response_breach"].state == "cancelled"  # answered
    clock.set(at("2026-11-30T17:00:00-05:00"))
    sweep(runtime, timer_broker, worker)
    assert fired_levels(runtime, ticket_id) == ["escalation-L1"]


def test_a_timer_acts_once_and_not_for_a_resolved_ticket(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-30T09:00:00-05:00"))
    ticket_id = new_ticket(runtime, timer_broker, worker, **DOOR)
    warn = timers_of(runtime, ticket_id)["first_response_warn"]
    clock.set(warn.due_at - MINUTE)
    assert fire_timer(runtime, warn.id) == "not due yet"
    clock.set(warn.due_at)
    for _ in range(3):  # duplicate messages, as a re-send after a lost ack would make
        timer_broker.get_actor("escalate").send(warn.id)
    drain(timer_broker, worker)
    assert fire_timer(runtime, warn.id) == "already fired"
    assert fired_levels(runtime, ticket_id) == ["escalation-L1"]

    set_status(runtime, _number(runtime, ticket_id), "resolved", actor="maya-maintenance")
    clock.set(at("2026-12-10T12:00:00-05:00"))
    sweep(runtime, timer_broker, worker)
    assert fired_levels(runtime, ticket_id) == ["escalation-L1"]
    assert {r.state for r in timers_of(runtime, ticket_id).values()} == {"fired", "cancelled"}


def test_redis_restart_loses_no_timer(runtime, clock, timer_broker, worker_factory, private_redis):
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-30T09:00:00-05:00"))
    ticket_id = new_ticket(runtime, timer_broker, worker, **DOOR)
    warn = timers_of(runtime, ticket_id)["first_response_warn"]
    clock.set(warn.due_at - MINUTE)
    assert sweep_due_timers(runtime) == [warn.id]  # armed: a delayed message now sits in Redis
    assert private_redis.keys("*timers.DQ*")
    assert timers_of(runtime, ticket_id)["first_response_warn"].sent_at is not None

    private_redis.shutdown_nosave()
    private_redis.start()
    assert private_redis.keys("*timers.DQ*") == []  # the broker lost the delayed message

    clock.set(warn.due_at + 2 * MINUTE)
    assert warn.id in sweep_due_timers(runtime)  # sent, still scheduled past due: re-sent from the row
    drain(timer_broker, worker, timeout_ms=60_000)
    assert timers_of(runtime, ticket_id)["first_response_warn"].state == "fired"
    assert fired_levels(runtime, ticket_id) == ["escalation-L1"]


def _number(runtime, ticket_id) -> str:
    with runtime.db.session() as session:
        return session.execute(select(Ticket.number).where(Ticket.id == ticket_id)).scalar_one()


def test_assign_ticket_actor_assigns_a_triaged_ticket_once(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-30T11:00:00-05:00"))
    ticket_id = new_ticket(runtime, timer_broker, worker, **DOOR)
    with runtime.db.session() as session:  # as a dispatcher leaves it after triage: nobody on it yet
        ticket = session.get(Ticket, ticket_id)
        ticket.team, ticket.assignee, ticket.status = None, None, "triaged"
    for _ in range(2):
        timer_broker.get_actor("assign_ticket").send(ticket_id)
    drain(timer_broker, worker)
    with runtime.db.session() as session:
        ticket = session.get(Ticket, ticket_id)
        assert (ticket.team, ticket.status) == ("maintenance", "assigned")
        assert ticket.assignee in runtime.rules().engine.teams["maintenance"].members
    assigned = [e for e in events_of(runtime, ticket_id, "status-changed") if e.changes["status"]["to"] == "assigned"]
    assert [e.actor for e in assigned] == [
        "general-maintenance",
        "general-maintenance",
    ]  # pipeline, then the actor once


def test_the_beat_sends_the_sweeper():
    from apscheduler.schedulers.background import BackgroundScheduler

    from intake.beat import _extra_jobs

    scheduler = BackgroundScheduler()
    for add in _extra_jobs():
        add(scheduler, None)
    job = scheduler.get_job("sweep-sla-timers")
    assert job is not None and job.func.__self__.actor_name == "sweep_timers"


LEAK_AT_OAK = {
    "sender": "carlos.mendez@example.com",
    "name": "Carlos Mendez",
    "subject": "Leak under the kitchen sink",
    "body": "Water is dripping under the kitchen sink in unit 101, please send someone.",
}


def test_after_hours_urgent_goes_to_on_call(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-28T23:00:00-05:00"))  # Saturday night: the office calendar is closed
    ticket_id = new_ticket(
        runtime,
        timer_broker,
        worker,
        subject="Leak under the kitchen sink",
        body="Water is dripping under the kitchen sink in unit 101, please send someone.",
    )
    with runtime.db.session() as session:
        ticket = session.get(Ticket, ticket_id)
        assert (ticket.priority, ticket.assignee, ticket.status) == ("URGENT", "olu-oncall", "assigned")
    told = [(e.actor, e.changes["target"]) for e in events_of(runtime, ticket_id, "notification-requested")]
    assert ("after-hours-urgent", "olu-oncall") in told


def test_urgent_and_unassigned_after_30_minutes_goes_to_the_supervisor(
    runtime, clock, timer_broker, worker_factory, tmp_path
):
    # An urgent first response of 1 h, so the 30-minute safety net fires on its own, before the breach.
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    sla = rules / "sla.yaml"
    text = sla.read_text()
    assert "urgent:   {first_response: 30m," in text
    sla.write_text(text.replace("urgent:   {first_response: 30m,", "urgent:   {first_response: 1h,"))
    runtime.settings = make_settings(runtime.db, tmp_path, rules_dir=rules)
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-28T10:00:00-05:00"))  # Saturday, office open; no plumber on shift covers OAK
    ticket_id = new_ticket(runtime, timer_broker, worker, **LEAK_AT_OAK)
    with runtime.db.session() as session:
        ticket = session.get(Ticket, ticket_id)
        assert (ticket.priority, ticket.team, ticket.assignee) == ("URGENT", "plumbing", None)
    unassigned = timers_of(runtime, ticket_id)["unassigned_urgent"]
    assert unassigned.due_at == at("2026-11-28T10:30:00-05:00")
    clock.set(unassigned.due_at - MINUTE)
    assert fire_timer(runtime, unassigned.id) == "not due yet"
    clock.set(unassigned.due_at)
    sweep(runtime, timer_broker, worker)
    assert timers_of(runtime, ticket_id)["unassigned_urgent"].state == "fired"
    told = [
        e.changes["target"]
        for e in events_of(runtime, ticket_id, "notification-requested")
        if e.changes.get("timer") == "unassigned_urgent"
    ]
    assert told == ["sam-supervisor"]


def test_resolution_timers_fire_after_the_first_response(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-30T09:00:00-05:00"))
    ticket_id = new_ticket(runtime, timer_broker, worker, **DOOR)
    clock.set(at("2026-11-30T09:10:00-05:00"))
    respond(runtime, _number(runtime, ticket_id), "Booked for Thursday.", actor="maya-maintenance")
    warn = timers_of(runtime, ticket_id)["resolution_warn"]
    assert warn.due_at == at("2026-12-03T15:00:00-05:00")  # 36 of 48 business hours
    clock.set(warn.due_at)
    sweep(runtime, timer_broker, worker)
    timers = timers_of(runtime, ticket_id)
    assert (timers["resolution_warn"].state, timers["first_response_warn"].state) == ("fired", "cancelled")
    assert [e.changes["timer"] for e in events_of(runtime, ticket_id, "sla-escalated")] == ["resolution_warn"]
