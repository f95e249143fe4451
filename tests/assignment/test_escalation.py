"""Escalation timers at 75/90/100 % of each target, after-hours urgent → on-call, urgent-unassigned →
supervisor, and the re-check when a timer fires (answered, resolved, paused, assigned, deadline moved)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from assignment import Pause, Workload
from assignment.escalation import action_for
from tests.assignment.conftest import NEW_YORK, SATURDAY_NIGHT, TUESDAY_10, make_facts


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def test_threshold_timers_fall_at_75_90_100_percent(engine):
    facts = make_facts(urgency="high", created_at=TUESDAY_10)  # high: 2 h first response, 24 h resolution, business
    plan = engine.sla_plan(facts)
    timers = {t.kind: t for t in engine.timers(facts, plan, assigned=True, now=TUESDAY_10)}
    assert set(timers) == {
        "first_response_warn",
        "first_response_escalate",
        "first_response_breach",
        "resolution_warn",
        "resolution_escalate",
        "resolution_breach",
    }
    assert timers["first_response_warn"].due_at == ny(2026, 11, 24, 11, 30)  # 75 % of 2 h
    assert timers["first_response_escalate"].due_at == ny(2026, 11, 24, 11, 48)  # 90 %
    assert timers["first_response_breach"].due_at == plan.first_response_due == ny(2026, 11, 24, 12, 0)
    # 24 business hours, office 08-18: Tue 8 h + Wed 10 h = 18 h (75 %); Thanksgiving closed; Fri 6 h more
    assert timers["resolution_warn"].due_at == ny(2026, 11, 25, 18, 0)
    assert timers["resolution_escalate"].due_at == ny(2026, 11, 27, 11, 36)  # 90 % = 21.6 h
    assert timers["resolution_breach"].due_at == plan.resolution_due == ny(2026, 11, 27, 14, 0)
    levels = {kind: (t.level, t.action.notify, t.action.reassign) for kind, t in timers.items()}
    assert levels["first_response_warn"] == (1, ["assignee"], None)
    assert levels["first_response_escalate"] == (2, ["team-lead", "sam-supervisor"], None)
    assert levels["first_response_breach"] == (3, ["sam-supervisor", "olivia-ops"], "sam-supervisor")


def test_answered_and_late_plans(engine):
    facts = make_facts(urgency="high", created_at=TUESDAY_10, first_response_at=ny(2026, 11, 24, 10, 20))
    kinds = [t.kind for t in engine.timers(facts, engine.sla_plan(facts), assigned=True, now=TUESDAY_10)]
    assert not any(kind.startswith("first_response") for kind in kinds)
    # planned late (after warn and escalate passed): only the latest passed step fires, the rest stay ahead
    late = make_facts(urgency="high", created_at=TUESDAY_10)
    timers = engine.timers(late, engine.sla_plan(late), assigned=True, now=ny(2026, 11, 24, 11, 50))
    assert [t.kind for t in timers if t.target == "first_response"] == [
        "first_response_escalate",
        "first_response_breach",
    ]


def test_after_hours_urgent_goes_to_on_call(engine):
    facts = make_facts(
        category="maintenance",
        subcategory="plumbing",
        urgency="urgent",
        property_id="OAK",
        text="water pouring from the ceiling",
        created_at=SATURDAY_NIGHT,
    )
    decision = engine.decide(facts, Workload(), SATURDAY_NIGHT)
    assert (decision.team, decision.assignee) == ("on-call", "olu-oncall")
    assert decision.set_by["assignee"] == "after-hours-urgent"
    assert [(n.target, n.via) for n in decision.notify] == [("olu-oncall", "on-call")]
    hit = decision.hits[-1]
    assert hit.rule == "after-hours-urgent" and hit.matched
    assert hit.reasons == (
        "priority is urgent",
        "outside business hours of calendar office at Sat 23:00 America/New_York",
    )
    # the same ticket in office hours goes to the plumber; urgent set by a rule counts too
    day = engine.decide(facts, Workload(), TUESDAY_10)
    assert (day.team, day.assignee) == ("plumbing", "pat-plumber") and not day.hits[-1].matched
    gas = make_facts(urgency="standard", text="I smell gas", hazards=["gas-smell"], created_at=SATURDAY_NIGHT)
    assert engine.decide(gas, Workload(), SATURDAY_NIGHT).assignee == "olu-oncall"
    holiday = ny(2026, 11, 26, 11, 0)
    reasons = engine.decide(make_facts(urgency="urgent"), Workload(), holiday).hits[-1].reasons
    assert reasons[1].endswith("(Thanksgiving Day)")


def test_urgent_unassigned_after_30_minutes_goes_to_supervisor(engine):
    facts = make_facts(urgency="urgent", created_at=TUESDAY_10)
    plan = engine.sla_plan(facts)
    timer = next(t for t in engine.timers(facts, plan, assigned=False, now=TUESDAY_10) if t.kind == "unassigned_urgent")
    assert timer.due_at == TUESDAY_10 + timedelta(minutes=30)
    assert timer.action.notify == ["sam-supervisor"]
    fired = engine.action_for(timer, facts, timer.due_at)
    assert fired is not None and fired.notify == ["sam-supervisor"]
    assert engine.action_for(timer, facts.model_copy(update={"assignee": "pat-plumber"}), timer.due_at) is None
    assigned_timers = engine.timers(facts, plan, assigned=True, now=TUESDAY_10)
    assert "unassigned_urgent" not in [t.kind for t in assigned_timers]
    standard = make_facts(urgency="standard", created_at=TUESDAY_10)
    assert "unassigned_urgent" not in [
        t.kind for t in engine.timers(standard, engine.sla_plan(standard), assigned=False, now=TUESDAY_10)
    ]


@pytest.fixture
def breach(engine):
    facts = make_facts(
        urgency="high", created_at=TUESDAY_10, status="assigned", team="plumbing", assignee="pat-plumber"
    )
    timers = engine.timers(facts, engine.sla_plan(facts), assigned=True, now=TUESDAY_10)
    return facts, next(t for t in timers if t.kind == "first_response_escalate")


def test_fired_timer_resolves_keywords(engine, breach):
    facts, timer = breach
    action = engine.action_for(timer, facts, timer.due_at)
    assert action is not None and action.level == 2
    assert action.notify == ["sam-supervisor", "sam-supervisor"]  # team-lead of plumbing, then the supervisor role
    warn = timer.model_copy(update={"action": timer.action.model_copy(update={"notify": ["assignee", "team"]})})
    assert action_for(warn, facts, timer.due_at).notify == ["pat-plumber", "plumbing"]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"first_response_at": ny(2026, 11, 24, 11, 0)}, "answered"),
        ({"status": "resolved", "resolved_at": ny(2026, 11, 24, 11, 0)}, "resolved"),
        ({"status": "cancelled"}, "cancelled"),
        ({"status": "pending", "pauses": [Pause(status="pending", start=ny(2026, 11, 24, 11, 0))]}, "paused"),
        (
            {
                "status": "in_progress",
                "pauses": [Pause(status="pending", start=ny(2026, 11, 24, 10, 30), end=ny(2026, 11, 24, 11, 30))],
            },
            "resumed: the deadline moved an hour later",
        ),
    ],
)
def test_fired_timer_does_nothing_when_no_longer_due(engine, breach, change, why):
    facts, timer = breach
    assert engine.action_for(timer, facts.model_copy(update=change), timer.due_at) is None, why


def test_timer_fired_early_does_nothing_and_moved_deadline_fires_later(engine, breach):
    facts, timer = breach
    assert engine.action_for(timer, facts, timer.due_at - timedelta(minutes=1)) is None
    resumed = facts.model_copy(
        update={
            "status": "in_progress",
            "pauses": [Pause(status="pending", start=ny(2026, 11, 24, 10, 30), end=ny(2026, 11, 24, 11, 30))],
        }
    )
    replanned = next(
        t
        for t in engine.timers(resumed, engine.sla_plan(resumed), assigned=True, now=TUESDAY_10)
        if t.kind == timer.kind
    )
    assert replanned.due_at == timer.due_at + timedelta(hours=1)
    assert engine.action_for(replanned, resumed, replanned.due_at) is not None
