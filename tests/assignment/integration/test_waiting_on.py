"""Pending on parts pauses, pending on a third party does not: the real pipeline, the real Redis broker on a
private server and a real worker, with the shipped sla.yaml (`waiting_on: {parts: pause, third_party: run}`)."""

from __future__ import annotations

import pytest

from intake.cli.staff import StaffError, set_status
from store.models import Ticket
from tests.assignment.integration.conftest import at, drain, events_of, new_ticket, timers_of
from tests.assignment.integration.test_timers import DOOR, fired_levels, sweep


def _ticket(runtime, ticket_id) -> Ticket:
    with runtime.db.session() as session:
        ticket = session.get(Ticket, ticket_id)
        session.expunge(ticket)
    return ticket


def test_parts_pauses_the_clock_and_a_third_party_does_not(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-30T09:00:00-05:00"))  # Monday: warn at 12:00, breach at 13:00
    ticket_id = new_ticket(runtime, timer_broker, worker, **DOOR)
    number = _ticket(runtime, ticket_id).number
    assert timers_of(runtime, ticket_id)["first_response_warn"].due_at == at("2026-11-30T12:00:00-05:00")

    clock.set(at("2026-11-30T09:30:00-05:00"))
    shown = set_status(runtime, number, "pending", actor="dispatcher-dana", waiting_on="parts")
    assert shown.endswith("→ pending (waiting on parts)"), shown
    assert {r.state for r in timers_of(runtime, ticket_id).values()} == {"cancelled"}
    assert _ticket(runtime, ticket_id).first_response_due is None
    clock.set(at("2026-11-30T12:30:00-05:00"))  # past the old warning: nothing fires while waiting on parts
    sweep(runtime, timer_broker, worker)
    assert fired_levels(runtime, ticket_id) == []

    # the parts came; now a contractor has to fit them: still pending, but our clock runs again
    set_status(runtime, number, "pending", actor="dispatcher-dana", waiting_on="third_party", reason="fitter booked")
    timers = timers_of(runtime, ticket_id)  # 3 h waiting on parts: every deadline moves 3 h
    assert timers["first_response_warn"].due_at == at("2026-11-30T15:00:00-05:00")
    assert timers["first_response_warn"].state == "scheduled"
    assert _ticket(runtime, ticket_id).first_response_due == at("2026-11-30T16:00:00-05:00")
    clock.set(at("2026-11-30T15:00:00-05:00"))
    sweep(runtime, timer_broker, worker)
    assert fired_levels(runtime, ticket_id) == ["escalation-L1"]  # fired while pending on the third party
    assert _ticket(runtime, ticket_id).status == "pending"

    statuses = [
        (e.changes["status"]["to"], e.changes.get("waiting_on"), e.reason)
        for e in events_of(runtime, ticket_id, "status-changed")
    ]
    assert statuses[-2:] == [
        ("pending", "parts", "waiting on parts; set by dispatcher-dana"),
        ("pending", "third_party", "waiting on third_party; fitter booked"),
    ]
    replans = [e.reason for e in events_of(runtime, ticket_id, "fields-changed") if "re-planned" in (e.reason or "")]
    assert any("pending, waiting on parts" in r and "(clock paused)" in r for r in replans), replans
    assert any("pending, waiting on third_party: the clock keeps running" in r for r in replans), replans


def test_waiting_on_a_tenant_pauses_and_resuming_moves_the_deadlines(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-30T09:00:00-05:00"))
    ticket_id = new_ticket(runtime, timer_broker, worker, **DOOR)
    number = _ticket(runtime, ticket_id).number
    clock.set(at("2026-11-30T10:00:00-05:00"))
    set_status(runtime, number, "pending", actor="dispatcher-dana", waiting_on="tenant")
    clock.set(at("2026-11-30T11:00:00-05:00"))
    set_status(runtime, number, "in_progress", actor="maya-maintenance")
    assert timers_of(runtime, ticket_id)["first_response_warn"].due_at == at("2026-11-30T13:00:00-05:00")


@pytest.mark.parametrize(
    ("status", "waiting_on", "message"),
    [
        ("pending", "partz", "unknown waiting-on value 'partz': did you mean `parts`?"),
        (
            "pending",
            "weather",
            "unknown waiting-on value 'weather': sla.yaml declares: access, parts, tenant, third_party",
        ),
        ("in_progress", "parts", "--waiting-on goes only with pending (not in_progress)"),
    ],
)
def test_an_unknown_reason_is_refused_and_changes_nothing(
    runtime, clock, timer_broker, worker_factory, status, waiting_on, message
):
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-30T09:00:00-05:00"))
    ticket_id = new_ticket(runtime, timer_broker, worker, **DOOR)
    number = _ticket(runtime, ticket_id).number
    status_before = _ticket(runtime, ticket_id).status
    events_before = events_of(runtime, ticket_id, "status-changed")
    before = {kind: (row.state, row.due_at) for kind, row in timers_of(runtime, ticket_id).items()}
    with pytest.raises(StaffError) as refused:
        set_status(runtime, number, status, actor="dispatcher-dana", waiting_on=waiting_on)
    assert refused.value.message == f"{number}: {message}"
    drain(timer_broker, worker)
    assert _ticket(runtime, ticket_id).status == status_before
    assert {kind: (row.state, row.due_at) for kind, row in timers_of(runtime, ticket_id).items()} == before
    assert len(events_of(runtime, ticket_id, "status-changed")) == len(events_before)
