"""A resolved or closed ticket runs no SLA clock: no new due times on its timeline, its timers cancelled and no
warning, breach or escalation for it; reopening it re-plans what sla.yaml says (rules/README.md, "Follow-ups
and reopened tickets"). Through the real pipeline, the real Redis broker and a real worker, on both databases."""

from __future__ import annotations

from assignment.actors_impl import fire_timer, sweep_due_timers
from intake.cli.staff import assign, respond, set_status
from store.models import Ticket
from tests.assignment.integration.conftest import at, drain, events_of, new_ticket, timers_of

DRAIN = {
    "subject": "Slow drain",
    "body": "The bathroom sink in unit 101 drains slowly. No rush, whenever someone is around.",
}
DUE_FIELDS = ("first_response_due", "resolution_due")


def ticket(runtime, ticket_id: str) -> Ticket:
    with runtime.db.session() as session:
        row = session.get(Ticket, ticket_id)
        session.expunge(row)
        return row


def due_changes_since(runtime, ticket_id: str, moment) -> list[dict]:
    """Every timeline change to a due time at or after `moment`."""
    return [
        e.changes
        for e in events_of(runtime, ticket_id, "fields-changed")
        if e.at >= moment and any(field in e.changes for field in DUE_FIELDS)
    ]


def open_standard_ticket(runtime, clock, broker, worker) -> Ticket:
    """A standard-priority plumbing ticket made on Monday 09:00 New York (office hours 08:00-18:00)."""
    clock.set(at("2026-11-30T09:00:00-05:00"))
    return ticket(runtime, new_ticket(runtime, broker, worker, **DRAIN))


def test_resolving_a_paused_ticket_sets_no_new_due_times(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    first = open_standard_ticket(runtime, clock, timer_broker, worker)
    clock.set(at("2026-11-30T09:30:00-05:00"))
    set_status(runtime, first.number, "pending", actor="pat-plumber", waiting_on="tenant")
    resolved_at = at("2026-11-30T10:30:00-05:00")
    clock.set(resolved_at)
    set_status(runtime, first.number, "resolved", actor="pat-plumber")

    assert due_changes_since(runtime, first.id, resolved_at) == []  # the old code re-planned: fresh due times
    after = ticket(runtime, first.id)
    assert (after.first_response_due, after.resolution_due) == (None, None)  # as the pause left them
    assert {row.state for row in timers_of(runtime, first.id).values()} == {"cancelled"}

    # what staff still do on a finished ticket (a late answer, a reassignment) starts no clock either
    respond(runtime, first.number, "Glad it works again.", actor="pat-plumber")
    assign(runtime, first.number, "gus-general", actor="dispatcher-dana")
    assert due_changes_since(runtime, first.id, resolved_at) == []
    assert {row.state for row in timers_of(runtime, first.id).values()} == {"cancelled"}


def test_no_warning_or_breach_fires_for_a_resolved_ticket(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    first = open_standard_ticket(runtime, clock, timer_broker, worker)
    timers = timers_of(runtime, first.id)
    clock.set(at("2026-11-30T11:00:00-05:00"))
    set_status(runtime, first.number, "resolved", actor="pat-plumber")
    clock.set(at("2026-11-30T11:30:00-05:00"))
    set_status(runtime, first.number, "closed", actor="pat-plumber")

    clock.set(at("2026-12-10T12:00:00-05:00"))  # every target long past
    sweep_due_timers(runtime)
    for row in timers.values():  # messages sent before the resolution arrive late, some twice
        timer_broker.get_actor("check_sla").send(first.id, row.kind, row.due_at.isoformat())
        timer_broker.get_actor("escalate").send(row.id)
    drain(timer_broker, worker)
    assert [fire_timer(runtime, row.id) for row in timers.values()] == ["already cancelled"] * len(timers)
    assert events_of(runtime, first.id, "sla-escalated") == []
    assert events_of(runtime, first.id, "notification-requested") == []


def test_reopening_resumes_the_clocks_where_they_stopped(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    first = open_standard_ticket(runtime, clock, timer_broker, worker)
    clock.set(at("2026-11-30T09:30:00-05:00"))
    set_status(runtime, first.number, "pending", actor="pat-plumber", waiting_on="tenant")
    clock.set(at("2026-11-30T10:30:00-05:00"))
    set_status(runtime, first.number, "resolved", actor="pat-plumber")

    clock.set(at("2026-12-01T10:00:00-05:00"))  # Tuesday: staff move it back to work
    set_status(runtime, first.number, "in_progress", actor="pat-plumber", reason="leaking again")
    after = ticket(runtime, first.id)
    # 30 minutes counted before the pause; paused and resolved time do not count: 3.5 h of 4 h from Tue 10:00
    assert after.first_response_due == at("2026-12-01T13:30:00-05:00")
    # 47.5 of 48 business hours left: Tue 8 h, Wed-Fri 30 h, Sat 4 h, then 5.5 h on Monday
    assert after.resolution_due == at("2026-12-07T13:30:00-05:00")
    timers = timers_of(runtime, first.id)
    assert timers["first_response_breach"].due_at == after.first_response_due
    assert timers["resolution_breach"].due_at == after.resolution_due
    assert {row.state for row in timers.values()} == {"scheduled"}


def test_a_reopened_ticket_answered_before_gets_no_first_response_clock(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    first = open_standard_ticket(runtime, clock, timer_broker, worker)
    clock.set(at("2026-11-30T09:10:00-05:00"))
    respond(runtime, first.number, "We will look at it this morning.", actor="pat-plumber")
    clock.set(at("2026-11-30T11:00:00-05:00"))
    set_status(runtime, first.number, "resolved", actor="pat-plumber")
    clock.set(at("2026-12-01T10:00:00-05:00"))
    set_status(runtime, first.number, "in_progress", actor="pat-plumber")

    timers = timers_of(runtime, first.id)
    assert {kind for kind, row in timers.items() if row.state == "scheduled"} == {
        "resolution_warn",
        "resolution_escalate",
        "resolution_breach",
    }  # the first response counts once
    assert ticket(runtime, first.id).resolution_due == at("2026-12-07T12:00:00-05:00")  # 2 h used before
