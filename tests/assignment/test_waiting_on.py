"""What a pending ticket waits on decides whether its clocks stop: sla.yaml `waiting_on` (tenant and parts
pause, a third party does not), in the pause computation, the SLA plan, the escalation timers and the re-check
when a timer fires; plain `pause_statuses` keep working; `intake rules check` reports bad entries."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from assignment import BusinessCalendar, Pause, RuleEngine, RulesError
from assignment.pauses import ClockStops, pause_spans
from assignment.schema import CalendarSpec
from intake.cli.main import cli
from tests.assignment.conftest import NEW_YORK, TUESDAY_10, engine_with_rules, make_facts, write

OFFICE = BusinessCalendar.from_spec(
    "office", CalendarSpec(timezone="America/New_York", hours={"mon-fri": "09:00-17:00"})
)
STOPS = ClockStops.from_spec(["pending"], {"tenant": "pause", "parts": "pause", "third_party": "run"})


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


PAUSE_END = ny(2026, 11, 24, 11, 30)


def waiting(on: str | None, end: datetime | None = PAUSE_END) -> list[Pause]:
    return [Pause(status="pending", start=ny(2026, 11, 24, 10, 0), end=end, waiting_on=on)]


@pytest.mark.parametrize(
    ("on", "due"),
    [
        ("parts", ny(2026, 11, 24, 14, 30)),  # 1 h 30 waiting on parts: the deadline moves by it
        ("tenant", ny(2026, 11, 24, 14, 30)),
        ("third_party", ny(2026, 11, 24, 13, 0)),  # we chase the contractor: the clock kept running
        (None, ny(2026, 11, 24, 14, 30)),  # no reason: `pending` is a pause status, as before
        ("gone", ny(2026, 11, 24, 14, 30)),  # a reason no longer in the file falls back to the status
    ],
)
def test_ended_wait_moves_the_deadline_only_for_a_pausing_reason(on, due):
    start = ny(2026, 11, 24, 9, 0)
    assert OFFICE.add_business_time(start, timedelta(hours=4), waiting(on), STOPS) == due


def test_open_wait_stops_the_clock_only_for_a_pausing_reason():
    start = ny(2026, 11, 24, 9, 0)
    assert OFFICE.add_business_time(start, timedelta(hours=4), waiting("parts", end=None), STOPS) is None
    assert OFFICE.add_business_time(start, timedelta(hours=4), waiting("third_party", end=None), STOPS) == ny(
        2026, 11, 24, 13
    )
    assert OFFICE.business_time_between(start, ny(2026, 11, 24, 13), waiting("parts"), STOPS) == timedelta(
        hours=2, minutes=30
    )
    assert OFFICE.business_time_between(start, ny(2026, 11, 24, 13), waiting("third_party"), STOPS) == timedelta(
        hours=4
    )


def test_reasons_alone_when_pending_is_not_a_pause_status():
    only_parts = ClockStops.from_spec([], {"parts": "pause", "access": "run"})
    mixed = waiting("parts") + [
        Pause(status="pending", start=ny(2026, 11, 24, 12), end=ny(2026, 11, 24, 13)),
        Pause(status="pending", start=ny(2026, 11, 24, 14), end=ny(2026, 11, 24, 15), waiting_on="access"),
    ]
    assert pause_spans(mixed, only_parts) == [(ny(2026, 11, 24, 10), ny(2026, 11, 24, 11, 30))]
    assert pause_spans(mixed, ("pending",)) == [
        (p.start, p.end) for p in mixed
    ]  # plain statuses: every pending stretch


SLA = """
default_calendar: office
calendars:
  office: {timezone: America/New_York, hours: {mon-fri: "09:00-17:00"}}
targets:
  standard: {first_response: 4h, resolution: 16h}
pause_statuses: [pending]
waiting_on: {tenant: pause, parts: pause, third_party: run}
"""


def test_plan_pauses_by_reason(tmp_path):
    engine = engine_with_rules(tmp_path, "[]", sla=SLA)
    start = ny(2026, 11, 24, 9, 0)

    def plan(on, end=None):
        return engine.sla_plan(
            make_facts(
                urgency="standard",
                created_at=start,
                status="pending" if end is None else "in_progress",
                pauses=waiting(on, end),
            )
        )

    assert plan("parts").first_response_due is None and plan("parts").resolution_due is None
    assert plan("third_party").first_response_due == ny(2026, 11, 24, 13, 0)
    assert plan("parts", ny(2026, 11, 24, 12)).first_response_due == ny(2026, 11, 24, 15, 0)
    assert plan("third_party", ny(2026, 11, 24, 12)).first_response_due == ny(2026, 11, 24, 13, 0)
    assert plan(None).first_response_due is None  # a plain pending still pauses


def test_fired_timer_acts_while_pending_on_a_running_reason(engine):
    """The shipped sla.yaml: parts pauses, third_party runs; a due escalation fires only for the latter."""
    facts = make_facts(
        urgency="high", created_at=TUESDAY_10, status="assigned", team="plumbing", assignee="pat-plumber"
    )
    timer = next(
        t
        for t in engine.timers(facts, engine.sla_plan(facts), assigned=True, now=TUESDAY_10)
        if t.kind == "first_response_escalate"
    )
    pending = [Pause(status="pending", start=ny(2026, 11, 24, 10, 30), waiting_on=None)]

    def on(reason):
        return facts.model_copy(
            update={"status": "pending", "pauses": [pending[0].model_copy(update={"waiting_on": reason})]}
        )

    assert engine.action_for(timer, on("parts"), timer.due_at) is None
    assert engine.action_for(timer, on(None), timer.due_at) is None
    action = engine.action_for(timer, on("third_party"), timer.due_at)
    assert action is not None and action.level == 2
    third = on("third_party")
    kinds = {t.kind: t.due_at for t in engine.timers(third, engine.sla_plan(third), assigned=True, now=TUESDAY_10)}
    assert kinds["first_response_escalate"] == timer.due_at  # still counting
    parts = on("parts")
    assert engine.timers(parts, engine.sla_plan(parts), assigned=True, now=TUESDAY_10) == []


def test_shipped_sla_declares_the_reasons(engine):
    assert engine.sla.pause_statuses.reasons == {"tenant": True, "parts": True, "third_party": False, "access": False}
    assert engine.sla.pause_statuses.statuses == {"pending"}


BAD_SLA = [
    # (case, sla.yaml, expected location and message, expected hint)
    (
        "unknown effect",
        "waiting_on:\n  tenant: pause\n  parts: stop\n",
        "sla.yaml:3:10: unknown value `stop`",
        "one of pause, run",
    ),
    (
        "reason as a status",
        "pause_statuses: [pending, pending:parts]\nwaiting_on: {parts: pause}\n",
        "sla.yaml:1:27: `pending:parts` is not a status",
        "list `parts: pause` under `waiting_on`",
    ),
    (
        "bad name",
        "waiting_on:\n  parts: pause\n  Third Party: run\n",
        "sla.yaml:3:3: `Third Party` is not a waiting-on name",
        "e.g. third_party",
    ),
    ("unknown status", "pause_statuses: [waiting]\n", "sla.yaml:1:18: unknown value `waiting`", "one of new, triaged"),
]


@pytest.mark.parametrize(("case", "sla", "where", "hint"), BAD_SLA, ids=[c[0] for c in BAD_SLA])
def test_check_reports_bad_waiting_on(tmp_path: Path, case, sla, where, hint):
    write(tmp_path, "assignment.yaml", "rules: []\n")
    write(tmp_path, "sla.yaml", sla)
    result = CliRunner().invoke(cli, ["rules", "check", str(tmp_path)])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if where in line]
    assert lines and hint in lines[0], result.output
    with pytest.raises(RulesError):
        RuleEngine.load(tmp_path)
