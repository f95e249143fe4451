"""Escalation: timers at the thresholds of each SLA target (warn 75 %, escalate 90 %, breach 100 % by
default), the urgent-but-unassigned timer, after-hours urgent → on-call, and the re-check done when a timer
fires. Actors schedule `Timer`s with a delay and call `action_for` when one fires: pure, given current facts.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from assignment.facts import TicketFacts
from assignment.pauses import ClockStops, is_paused_now
from assignment.schema import EscalationFile, StepSpec
from assignment.sla import BusinessCalendar, SlaPlan
from intake.core.vocabulary import DONE_STATUSES

TimerKind = Literal[
    "first_response_warn",
    "first_response_escalate",
    "first_response_breach",
    "resolution_warn",
    "resolution_escalate",
    "resolution_breach",
    "unassigned_urgent",
]
KEYWORDS = ("assignee", "team", "team-lead")  # resolved from the ticket when the timer fires


class EscalationAction(BaseModel):
    """Whom to notify and whom to hand the ticket to; names are people, teams or the keywords above."""

    kind: str
    level: int | None = None
    notify: list[str] = Field(default_factory=list)
    reassign: str | None = None
    reason: str = ""


class Timer(BaseModel):
    kind: TimerKind
    due_at: datetime
    level: int | None = None  # 1 for L1 …
    target: Literal["first_response", "resolution", "unassigned"]
    percent: float | None = None
    action: EscalationAction


@dataclass
class EscalationPolicy:
    """escalation.yaml compiled. `roles` map role names to people or teams."""

    spec: EscalationFile
    roles: dict[str, str] = field(default_factory=dict)

    def step_for(self, threshold: str) -> tuple[int | None, StepSpec | None]:
        for name, level in self.spec.levels.items():
            if level.at == threshold:
                return int(name[1:]), level
        return None, None

    def resolve(self, names: list[str]) -> list[str]:
        return [self.roles.get(name, name) for name in names]

    def timers(
        self,
        facts: TicketFacts,
        plan: SlaPlan,
        counting: BusinessCalendar,
        *,
        assigned: bool,
        now: datetime,
        pause_statuses: ClockStops | Collection[str],
    ) -> list[Timer]:
        """Every escalation timer still ahead, plus the latest one already due per target (fires at once)."""
        result: list[Timer] = []
        thresholds = self.spec.thresholds
        targets = []
        if facts.first_response_at is None:
            targets.append(("first_response", plan.first_response_target))
        if facts.resolved_at is None and facts.status not in DONE_STATUSES:
            targets.append(("resolution", plan.resolution_target))
        for target, length in targets:
            past: Timer | None = None
            for threshold in ("warn", "escalate", "breach"):
                percent = getattr(thresholds, threshold)
                due = counting.add_business_time(
                    plan.started_at, length * (percent / 100), facts.pauses, pause_statuses
                )
                if due is None:
                    continue  # paused: re-planned when the ticket resumes
                level, step = self.step_for(threshold)
                kind = f"{target}_{threshold}"
                timer = Timer(
                    kind=kind,
                    due_at=due,
                    level=level,
                    target=target,
                    percent=percent,
                    action=self._action(kind, level, step, f"{percent:g} % of the {target.replace('_', ' ')} target"),
                )
                if due > now:
                    result.append(timer)
                else:
                    past = timer
            if past is not None:
                result.append(past)
        unassigned = self.spec.unassigned_urgent
        if unassigned and not assigned and plan.priority in unassigned.urgencies:
            result.append(
                Timer(
                    kind="unassigned_urgent",
                    due_at=plan.started_at + unassigned.after,
                    target="unassigned",
                    action=self._action(
                        "unassigned_urgent",
                        None,
                        unassigned,
                        f"{plan.priority} and unassigned after {unassigned.after}",
                    ),
                )
            )
        return sorted(result, key=lambda t: t.due_at)

    def _action(self, kind: str, level: int | None, step: StepSpec | None, reason: str) -> EscalationAction:
        if step is None:
            return EscalationAction(kind=kind, level=level, reason=reason)
        reassign = self.resolve([step.reassign])[0] if step.reassign else None
        return EscalationAction(
            kind=kind, level=level, notify=self.resolve(step.notify), reassign=reassign, reason=reason
        )

    def after_hours(self, priority: str | None, calendar: BusinessCalendar, now: datetime) -> tuple[bool, list[str]]:
        """Whether after-hours urgent handling applies now, with reasons for the rule trail."""
        is_urgent = priority == "urgent"
        is_open = calendar.is_open(now)
        local = now.astimezone(calendar.timezone)
        when = f"{local:%a %H:%M} {calendar.timezone.key}"
        holiday = calendar.holiday_name(local.date())
        reasons = [
            "priority is urgent" if is_urgent else f"priority is {priority or 'unset'}, not urgent",
            f"calendar {calendar.name} is open at {when}"
            if is_open
            else f"outside business hours of calendar {calendar.name} at {when}" + (f" ({holiday})" if holiday else ""),
        ]
        return is_urgent and not is_open, reasons


def action_for(
    timer: Timer,
    facts: TicketFacts,
    now: datetime,
    *,
    pause_statuses: ClockStops | Collection[str] = ("pending",),
    current_due: datetime | None = None,
    team_leads: dict[str, str | None] | None = None,
) -> EscalationAction | None:
    """Re-check a fired timer against the ticket as it is now: None when there is nothing to do.

    Nothing happens for a done or paused ticket, an answered ticket (first-response timers), a resolved one
    (resolution timers), an urgent ticket that got an assignee, a timer fired early, or one whose deadline
    moved later because of pauses (`current_due`: the same timer's due time re-planned now).
    """
    if facts.status in DONE_STATUSES or is_paused_now(facts, pause_statuses):
        return None
    if timer.target == "first_response" and facts.first_response_at is not None:
        return None
    if timer.target == "resolution" and facts.resolved_at is not None:
        return None
    if timer.target == "unassigned" and facts.assignee:
        return None
    if timer.due_at > now or (current_due is not None and current_due > now):
        return None
    leads = team_leads or {}
    names = {"assignee": facts.assignee, "team": facts.team, "team-lead": leads.get(facts.team or "")}
    notify = [names.get(n, n) for n in timer.action.notify]
    reassign = names.get(timer.action.reassign, timer.action.reassign) if timer.action.reassign else None
    return timer.action.model_copy(update={"notify": [n for n in notify if n], "reassign": reassign})
