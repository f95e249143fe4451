"""SLA clocks: business calendars (time zone, working hours, weekends, public holidays) and the plan of due
times for a ticket. Pure functions of their inputs; "now" is always passed in, never read.

Pauses: time a ticket spends in a pausing status, or pending on a pausing reason (waiting on the tenant, on
parts; see assignment.pauses), does not count, so due times move later by exactly the paused working time.
An open pause (no end yet) stops the clock: due is None.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import holidays
from pydantic import BaseModel

from assignment.conditions import Condition
from assignment.hours import Window, parse_weekly_hours
from assignment.pauses import ClockStops, PauseLike, pause_spans
from assignment.schema import CalendarSpec, PartialTarget, TargetSpec

_SEARCH_DAYS = 800  # a deadline further out than this is a configuration mistake (a calendar never open)


def _without(
    a: datetime, b: datetime, spans: list[tuple[datetime, datetime | None]]
) -> Iterator[tuple[datetime, datetime]]:
    """Pieces of [a, b) not covered by any span (an open span runs forever)."""
    cursor = a
    for start, end in spans:
        if end is not None and end <= cursor:
            continue
        if start >= b:
            break
        if start > cursor:
            yield cursor, start
        if end is None:
            return
        cursor = max(cursor, end)
        if cursor >= b:
            return
    if cursor < b:
        yield cursor, b


@dataclass
class BusinessCalendar:
    """When the clock runs: weekly hours in a time zone, minus public holidays and extra closed days."""

    name: str
    timezone: ZoneInfo
    week: dict[int, list[Window]]
    holidays: holidays.HolidayBase | None = None
    closed: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def from_spec(cls, name: str, spec: CalendarSpec) -> BusinessCalendar:
        public = None
        if spec.holidays:
            public = holidays.country_holidays(spec.holidays.country, subdiv=spec.holidays.subdivision)
        return cls(name, ZoneInfo(spec.timezone), parse_weekly_hours(spec.hours), public, frozenset(spec.closed))

    @classmethod
    def always(cls, name: str = "always", timezone: str = "UTC") -> BusinessCalendar:
        """Calendar time: open every minute of every day."""
        return cls(name, ZoneInfo(timezone), parse_weekly_hours("always"))

    def is_closed_day(self, day: date) -> bool:
        return day in self.closed or (self.holidays is not None and day in self.holidays)

    def holiday_name(self, day: date) -> str | None:
        return self.holidays.get(day) if self.holidays is not None else None

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.timezone)
        if self.is_closed_day(local.date()):
            return False
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.week[local.weekday()])

    def open_intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open stretches from `start` on, in order (a day's windows may touch; we never merge across days)."""
        day = start.astimezone(self.timezone).date() - timedelta(days=1)  # yesterday's overnight spill
        for _ in range(_SEARCH_DAYS):
            if not self.is_closed_day(day):
                midnight = datetime.combine(day, time(0), tzinfo=self.timezone)
                for begin, end in self.week[day.weekday()]:
                    # wall-clock times, then UTC so that arithmetic across a DST change is exact
                    a = (midnight + timedelta(minutes=begin)).astimezone(UTC)
                    b = (midnight + timedelta(minutes=end)).astimezone(UTC)
                    if b > start:
                        yield max(a, start), b
            day += timedelta(days=1)

    def add_business_time(
        self,
        start: datetime,
        delta: timedelta,
        pauses: Iterable[PauseLike] = (),
        paused_statuses: ClockStops | Collection[str] = ("pending",),
    ) -> datetime | None:
        """The moment `delta` of open, unpaused time has passed since `start`; None while a pause is open."""
        spans = pause_spans(pauses, paused_statuses)
        start, remaining = start.astimezone(UTC), delta
        if remaining <= timedelta(0):
            return start
        for a, b in self.open_intervals(start):
            for piece_start, piece_end in _without(a, b, spans):
                span = piece_end - piece_start
                if span >= remaining:
                    return piece_start + remaining
                remaining -= span
            if spans and spans[-1][1] is None and spans[-1][0] <= b:
                return None  # the clock is stopped until the ticket leaves the pausing status
        return None

    def business_time_between(
        self,
        a: datetime,
        b: datetime,
        pauses: Iterable[PauseLike] = (),
        paused_statuses: ClockStops | Collection[str] = ("pending",),
    ) -> timedelta:
        """Open, unpaused time in [a, b)."""
        spans = pause_spans(pauses, paused_statuses)
        total = timedelta(0)
        if b <= a:
            return total
        for start, end in self.open_intervals(a):
            if start >= b:
                break
            for piece_start, piece_end in _without(start, min(end, b), spans):
                total += piece_end - piece_start
        return total


class SlaPlan(BaseModel):
    """The targets that apply to one ticket and when they fall due."""

    priority: str
    calendar: str
    clock: Literal["business", "calendar"]
    started_at: datetime
    first_response_target: timedelta
    resolution_target: timedelta
    first_response_due: datetime | None  # None: the clock is paused
    resolution_due: datetime | None
    override: str | None = None  # the sla.yaml override that applied, by name


@dataclass
class Override:
    name: str
    when: Condition
    targets: dict[str, PartialTarget]
    calendar: str | None


@dataclass
class SlaPolicy:
    """sla.yaml compiled: calendars, default targets, ordered overrides and what stops the clock."""

    calendars: dict[str, BusinessCalendar]
    default_calendar: str
    targets: dict[str, TargetSpec]
    overrides: list[Override]
    pause_statuses: ClockStops  # pausing statuses and waiting-on reasons

    def calendar_for(self, name: str | None = None) -> BusinessCalendar:
        return self.calendars[name or self.default_calendar]

    def plan(self, priority: str, view: dict, started_at: datetime, pauses: Iterable[PauseLike] = ()) -> SlaPlan:
        """Targets for `priority` (first matching override wins, per value), due times in the right clock."""
        target = self.targets.get(priority) or self.targets["standard"]
        first, resolution, clock = target.first_response, target.resolution, target.clock
        calendar_name, applied = self.default_calendar, None
        for override in self.overrides:
            if override.when.test(view):
                partial = override.targets.get(priority)
                if partial is not None:  # only the values the override names change
                    first = partial.first_response or first
                    resolution = partial.resolution or resolution
                    clock = partial.clock or clock
                calendar_name = override.calendar or calendar_name
                applied = override.name
                break
        business = self.calendars[calendar_name]
        counting = business if clock == "business" else BusinessCalendar.always(timezone=str(business.timezone))
        pauses = list(pauses)
        due = lambda delta: counting.add_business_time(started_at, delta, pauses, self.pause_statuses)  # noqa: E731
        return SlaPlan(
            priority=priority,
            calendar=calendar_name if clock == "business" else "always",
            clock=clock,
            started_at=started_at,
            first_response_target=first,
            resolution_target=resolution,
            first_response_due=due(first),
            resolution_due=due(resolution),
            override=applied,
        )

    def counting_calendar(self, plan: SlaPlan) -> BusinessCalendar:
        """The calendar a plan's clock runs on (24/7 for calendar time)."""
        return self.calendars[plan.calendar] if plan.clock == "business" else BusinessCalendar.always()
