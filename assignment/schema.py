"""The typed shape of the three rules files (pydantic). Conditions (`when:`) stay raw here: the condition
compiler checks them against the vocabulary; cross-references (teams, people, roles) are checked by the loader.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from assignment.hours import parse_duration, parse_weekly_hours
from intake.core.problems import suggest
from intake.core.vocabulary import OPEN_STATUSES, TicketStatus

KEBAB = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Priority = Literal["urgent", "high", "standard", "low"]
Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Name = Annotated[str, BeforeValidator(lambda v: str(v))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _check_hours(value: Any) -> Any:
    parse_weekly_hours(value)  # raises ValueError with an ops-readable message
    return value


Hours = Annotated[Any, BeforeValidator(_check_hours)]


# ---- assignment.yaml ---------------------------------------------------------------------------------------
class PersonSpec(_Strict):
    name: str | None = None
    email: str | None = None
    skills: list[Name] = Field(default_factory=list)  # category, subcategory or category/subcategory
    properties: list[Name] = Field(default_factory=list)  # empty: every property
    hours: Hours = "always"
    capacity: int = Field(default=10, ge=0)


class TeamSpec(_Strict):
    description: str | None = None
    members: list[Name] = Field(default_factory=list)
    pick: Literal["least_loaded", "round_robin", "none"] = "least_loaded"
    lead: Name | None = None


class AssignSpec(_Strict):
    team: Name | None = None
    person: Name | None = None
    pick: Literal["least_loaded", "round_robin", "none"] | None = None  # None: the team's own setting
    specialist: bool | str | None = None  # a skill, or true: the ticket's subcategory

    @model_validator(mode="after")
    def _something(self) -> AssignSpec:
        if not (self.team or self.person or self.specialist):
            raise ValueError("assign needs a team, a person or a specialist")
        return self


class ThenSpec(_Strict):
    assign: AssignSpec | None = None
    priority: Priority | None = None
    tags: list[Name] = Field(default_factory=list)
    triage: bool = False
    require_approval: bool = False
    notify: list[Name] = Field(default_factory=list)


class RuleSpec(_Strict):
    name: str = Field(pattern=KEBAB)
    description: str = ""
    when: Any = None  # compiled by assignment.conditions
    then: ThenSpec
    continue_: bool = Field(default=False, alias="continue")
    enabled: bool = True


class AssignmentFile(_Strict):
    teams: dict[Name, TeamSpec] = Field(default_factory=dict)
    people: dict[Name, PersonSpec] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(default_factory=list)


# ---- sla.yaml ----------------------------------------------------------------------------------------------
class HolidaySpec(_Strict):
    country: str
    subdivision: str | None = None

    @model_validator(mode="after")
    def _known(self) -> HolidaySpec:
        supported = holidays.list_supported_countries()
        if self.country not in supported:
            raise ValueError(f"unknown holiday country {self.country!r}: use an ISO code such as US, GB, DE")
        if self.subdivision and self.subdivision not in supported[self.country]:
            raise ValueError(f"{self.country} has no subdivision {self.subdivision!r}")
        return self


class CalendarSpec(_Strict):
    timezone: str = "UTC"
    hours: Hours = "always"
    holidays: HolidaySpec | None = None
    closed: list[date] = Field(default_factory=list)  # extra closed days (company events)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as America/New_York") from None
        return value


class TargetSpec(_Strict):
    first_response: Duration
    resolution: Duration
    clock: Literal["business", "calendar"] = "business"


class PartialTarget(_Strict):
    first_response: Duration | None = None
    resolution: Duration | None = None
    clock: Literal["business", "calendar"] | None = None


def _default_targets() -> dict[str, TargetSpec]:
    return {
        "urgent": TargetSpec(first_response=timedelta(minutes=30), resolution=timedelta(hours=4), clock="calendar"),
        "high": TargetSpec(first_response=timedelta(hours=2), resolution=timedelta(hours=24)),
        "standard": TargetSpec(first_response=timedelta(hours=4), resolution=timedelta(hours=48)),
        "low": TargetSpec(first_response=timedelta(hours=8), resolution=timedelta(hours=96)),
    }


class OverrideSpec(_Strict):
    name: str = Field(pattern=KEBAB)
    when: Any = None
    targets: dict[Priority, PartialTarget] = Field(default_factory=dict)
    calendar: Name | None = None


def _not_a_reason(value: Any) -> Any:
    if isinstance(value, str) and ":" in value:
        reason = value.partition(":")[2].strip()
        raise ValueError(
            f"`{value}` is not a status: to pause only while waiting on {reason}, "
            f"list `{reason}: pause` under `waiting_on`"
        )
    return value


def _reason_name(value: Any) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", str(value)):
        raise ValueError(f"`{value}` is not a waiting-on name: lower-case words joined by `_` or `-`, e.g. third_party")
    return str(value)


def _pause_status(value: Any) -> str:
    """An open status (`pending`, usually): only an open ticket runs a clock that could pause."""
    _not_a_reason(value)
    if not isinstance(value, str) or value not in OPEN_STATUSES:
        choices = [status.value for status in TicketStatus if status in OPEN_STATUSES]
        raise ValueError(f"unknown value `{value}`: {suggest(value, choices) or 'one of ' + ', '.join(choices)}")
    return value


PauseStatus = Annotated[str, BeforeValidator(_pause_status)]
WaitingOnName = Annotated[str, BeforeValidator(_reason_name)]


class SlaFile(_Strict):
    default_calendar: Name = "always"
    calendars: dict[Name, CalendarSpec] = Field(default_factory=dict)
    targets: dict[Priority, TargetSpec] = Field(default_factory=_default_targets)
    overrides: list[OverrideSpec] = Field(default_factory=list)
    pause_statuses: list[PauseStatus] = ["pending"]
    # what a pending ticket may wait on, and whether that stops its clocks (`pause`) or not (`run`)
    waiting_on: dict[WaitingOnName, Literal["pause", "run"]] = Field(default_factory=dict)

    @field_validator("targets")
    @classmethod
    def _fill(cls, value: dict[str, TargetSpec]) -> dict[str, TargetSpec]:
        return {**_default_targets(), **value}  # a file may set only the priorities it changes


# ---- escalation.yaml ---------------------------------------------------------------------------------------
class Thresholds(_Strict):
    warn: float = Field(default=75, gt=0, le=100)
    escalate: float = Field(default=90, gt=0, le=100)
    breach: float = Field(default=100, gt=0, le=200)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if not self.warn < self.escalate <= self.breach:
            raise ValueError("thresholds must rise: warn < escalate <= breach (percent of the target)")
        return self


class StepSpec(_Strict):
    notify: list[Name] = Field(default_factory=list)
    reassign: Name | None = None


class LevelSpec(StepSpec):
    at: Literal["warn", "escalate", "breach"]


class UnassignedSpec(StepSpec):
    after: Duration = timedelta(minutes=30)
    urgencies: list[Priority] = ["urgent"]


class EscalationFile(_Strict):
    roles: dict[Name, Name] = Field(default_factory=dict)  # role → person or team in assignment.yaml
    thresholds: Thresholds = Field(default_factory=Thresholds)
    levels: dict[Annotated[str, Field(pattern=r"^L\d$")], LevelSpec] = Field(default_factory=dict)
    after_hours_urgent: StepSpec | None = None
    unassigned_urgent: UnassignedSpec | None = None

    @field_validator("levels")
    @classmethod
    def _one_per_threshold(cls, value: dict[str, LevelSpec]) -> dict[str, LevelSpec]:
        seen = [level.at for level in value.values()]
        if len(seen) != len(set(seen)):
            raise ValueError("each threshold (warn, escalate, breach) may start only one level")
        return value
