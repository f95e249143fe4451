"""Business time: weekends, public holidays (US Thanksgiving 2026-11-26), non-UTC zones, DST, pauses; and the
SLA plan: default targets, calendar vs business clocks, per-property overrides."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from assignment import BusinessCalendar, Pause
from assignment.schema import CalendarSpec
from tests.assignment.conftest import NEW_YORK, engine_with_rules, make_facts, utc

OFFICE = BusinessCalendar.from_spec(
    "office", CalendarSpec(timezone="America/New_York", hours={"mon-fri": "09:00-17:00"}, holidays={"country": "US"})
)
BERLIN = BusinessCalendar.from_spec(
    "berlin",
    CalendarSpec(
        timezone="Europe/Berlin", hours={"mon-fri": "08:00-16:00"}, holidays={"country": "DE", "subdivision": "BE"}
    ),
)


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


ADD = [
    # (calendar, start, business time, expected due)
    (OFFICE, ny(2026, 11, 24, 10, 0), timedelta(hours=4), ny(2026, 11, 24, 14, 0)),  # same day
    (OFFICE, ny(2026, 11, 20, 15, 0), timedelta(hours=4), ny(2026, 11, 23, 11, 0)),  # Fri → Mon over the weekend
    (OFFICE, ny(2026, 11, 21, 12, 0), timedelta(hours=1), ny(2026, 11, 23, 10, 0)),  # starts on a Saturday
    (OFFICE, ny(2026, 11, 25, 15, 0), timedelta(hours=4), ny(2026, 11, 27, 11, 0)),  # Thanksgiving is closed
    (OFFICE, ny(2026, 11, 24, 7, 0), timedelta(hours=8), ny(2026, 11, 24, 17, 0)),  # before opening
    (OFFICE, ny(2026, 11, 24, 17, 0), timedelta(minutes=30), ny(2026, 11, 25, 9, 30)),  # at closing
    (
        OFFICE,
        ny(2026, 11, 24, 10, 0),
        timedelta(hours=48),
        ny(2026, 12, 3, 10, 0),
    ),  # 7 h + 5 days of 8 h + 1 h, Thanksgiving off
    # Berlin: 2026-12-25/26 are holidays, 2026-12-24 is a Thursday (open); in UTC Berlin opens at 07:00
    (
        BERLIN,
        utc(2026, 12, 24, 14, 0),
        timedelta(hours=3),
        datetime(2026, 12, 28, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")),
    ),
    # calendar time across the DST change (2026-11-01 02:00 New York, a 25-hour day): 4 real hours
    (
        BusinessCalendar.always(timezone="America/New_York"),
        ny(2026, 10, 31, 23, 30),
        timedelta(hours=4),
        utc(2026, 11, 1, 7, 30),
    ),
]


@pytest.mark.parametrize(("calendar", "start", "delta", "due"), ADD)
def test_add_business_time(calendar, start, delta, due):
    result = calendar.add_business_time(start, delta)
    assert result == due
    assert result.tzinfo is not None and result.utcoffset() == timedelta(0)  # always returned in UTC
    assert calendar.business_time_between(start, result) == delta


def test_is_open_and_holiday_names():
    assert OFFICE.is_open(ny(2026, 11, 24, 9, 0)) and not OFFICE.is_open(ny(2026, 11, 24, 17, 0))
    assert not OFFICE.is_open(ny(2026, 11, 26, 12, 0))
    assert OFFICE.holiday_name(ny(2026, 11, 26).date()) == "Thanksgiving Day"
    assert BERLIN.is_open(utc(2026, 11, 24, 7, 30)) and not OFFICE.is_open(utc(2026, 11, 24, 7, 30))


def test_pause_moves_the_deadline_by_the_paused_working_time():
    start = ny(2026, 11, 24, 9, 0)
    waiting = [Pause(status="pending", start=ny(2026, 11, 24, 10, 0), end=ny(2026, 11, 24, 11, 30))]
    assert OFFICE.add_business_time(start, timedelta(hours=4), waiting) == ny(2026, 11, 24, 14, 30)
    # a pause over the night costs nothing: the office was closed anyway
    overnight = [("pending", ny(2026, 11, 24, 16, 0), ny(2026, 11, 25, 10, 0))]
    assert OFFICE.add_business_time(start, timedelta(hours=8), overnight) == ny(2026, 11, 25, 11, 0)
    assert OFFICE.business_time_between(start, ny(2026, 11, 25, 11, 0), overnight) == timedelta(hours=8)
    # other statuses do not stop the clock
    assert OFFICE.add_business_time(start, timedelta(hours=4), [("assigned", start, ny(2026, 11, 24, 12))]) == ny(
        2026, 11, 24, 13
    )


def test_open_pause_stops_the_clock_and_resume_restarts_it():
    start = ny(2026, 11, 24, 9, 0)
    still_waiting = [Pause(status="pending", start=ny(2026, 11, 24, 10, 0))]
    assert OFFICE.add_business_time(start, timedelta(hours=4), still_waiting) is None
    assert OFFICE.add_business_time(start, timedelta(minutes=30), still_waiting) == ny(2026, 11, 24, 9, 30)  # before it
    resumed = [Pause(status="pending", start=ny(2026, 11, 24, 10, 0), end=ny(2026, 11, 25, 10, 0))]
    assert OFFICE.add_business_time(start, timedelta(hours=4), resumed) == ny(2026, 11, 25, 13, 0)


SLA = """
default_calendar: office
calendars:
  office: {timezone: America/New_York, hours: {mon-fri: "09:00-17:00"}, holidays: {country: US}}
targets:
  standard: {first_response: 4h, resolution: 16h}
overrides:
  - name: harbor-contract
    when: {property: HBR, billing_type: sla}
    targets: {urgent: {first_response: 15m}, standard: {clock: calendar}}
"""


def test_plan_uses_defaults_overrides_and_clocks(tmp_path):
    engine = engine_with_rules(tmp_path, "[]", sla=SLA)
    wednesday = ny(2026, 11, 25, 15, 0)
    standard = engine.sla_plan(make_facts(urgency="standard", created_at=wednesday))
    assert (standard.clock, standard.calendar, standard.override) == ("business", "office", None)
    assert standard.first_response_due == ny(2026, 11, 27, 11, 0)  # over Thanksgiving
    assert standard.resolution_due == ny(2026, 11, 30, 15, 0)  # 2 h Wed, 8 h Fri, 6 h Mon
    urgent = engine.sla_plan(
        make_facts(urgency="urgent", created_at=wednesday)
    )  # untouched default: 30 min / 4 h, 24/7
    assert (urgent.clock, urgent.first_response_due, urgent.resolution_due) == (
        "calendar",
        ny(2026, 11, 25, 15, 30),
        ny(2026, 11, 25, 19, 0),
    )
    low = engine.sla_plan(make_facts(urgency="low", created_at=wednesday))
    assert low.first_response_target == timedelta(hours=8) and low.resolution_target == timedelta(hours=96)
    contract = engine.sla_plan(
        make_facts(urgency="urgent", property_id="HBR", billing_type="sla", created_at=wednesday)
    )
    assert (contract.override, contract.first_response_due, contract.resolution_due) == (
        "harbor-contract",
        ny(2026, 11, 25, 15, 15),
        ny(2026, 11, 25, 19, 0),
    )
    calendar_clock = engine.sla_plan(
        make_facts(urgency="standard", property_id="HBR", billing_type="sla", created_at=wednesday)
    )
    assert calendar_clock.clock == "calendar" and calendar_clock.first_response_due == ny(2026, 11, 25, 19, 0)
    by_priority = engine.sla_plan(make_facts(urgency="low", priority="urgent", created_at=wednesday))
    assert by_priority.priority == "urgent"  # a rule-set priority beats the classified urgency


def test_plan_pauses(tmp_path):
    engine = engine_with_rules(tmp_path, "[]", sla=SLA)
    start = ny(2026, 11, 24, 9, 0)
    paused = engine.sla_plan(
        make_facts(
            urgency="standard",
            created_at=start,
            status="pending",
            pauses=[Pause(status="pending", start=ny(2026, 11, 24, 10, 0))],
        )
    )
    assert paused.first_response_due is None and paused.resolution_due is None
    resumed = engine.sla_plan(
        make_facts(
            urgency="standard",
            created_at=start,
            status="in_progress",
            pauses=[Pause(status="pending", start=ny(2026, 11, 24, 10), end=ny(2026, 11, 24, 12))],
        )
    )
    assert resumed.first_response_due == ny(2026, 11, 24, 15, 0)
