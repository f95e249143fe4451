"""Which stretches of a ticket's life stop its SLA clocks: sla.yaml's `pause_statuses` and, for a pending
ticket, what it waits on (`waiting_on`: tenant and parts pause, a third party may not). Used by the SLA plan,
the escalation timers and the re-check when a timer fires, so all three agree on whether a clock runs.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from assignment.facts import Pause, TicketFacts

PauseLike = Pause | tuple[str, datetime, datetime | None]
REOPEN_GAP = frozenset({"resolved", "closed", "cancelled"})


@dataclass(frozen=True)
class ClockStops:
    """sla.yaml's pause settings compiled. A stretch with a declared waiting-on reason pauses as that reason
    says; one without a reason (or with one no longer declared) pauses when its status is in `statuses`."""

    statuses: frozenset[str] = frozenset({"pending"})
    reasons: Mapping[str, bool] = field(default_factory=dict)  # waiting-on value → stops the clock

    @classmethod
    def from_spec(cls, statuses: Iterable[str], waiting_on: Mapping[str, str]) -> ClockStops:
        return cls(frozenset(statuses), {name: effect == "pause" for name, effect in waiting_on.items()})

    def stops(self, status: str, waiting_on: str | None = None) -> bool:
        """Whether time spent in `status`, waiting on `waiting_on`, is paused."""
        if waiting_on is not None and waiting_on in self.reasons:
            return self.reasons[waiting_on]
        return status in self.statuses

    def describe(self, status: str, waiting_on: str | None = None) -> str:
        """`pending, waiting on parts` — for timeline reasons."""
        return f"{status}, waiting on {waiting_on}" if waiting_on else status


def as_clock_stops(value: ClockStops | Collection[str]) -> ClockStops:
    """Plain status collections (the older call style) become a ClockStops without reasons."""
    return value if isinstance(value, ClockStops) else ClockStops(frozenset(value))


def pause_spans(
    pauses: Iterable[PauseLike], stops: ClockStops | Collection[str]
) -> list[tuple[datetime, datetime | None]]:
    """The (start, end) spans that stop the clock, sorted; other stretches do not. The time a reopened ticket
    spent resolved or closed (an ended stretch) never counts either: its clocks resume where they stopped at
    the resolution."""
    stops = as_clock_stops(stops)
    spans = []
    for pause in pauses:
        if isinstance(pause, Pause):
            status, start, end, waiting_on = pause.status, pause.start, pause.end, pause.waiting_on
        else:
            (status, start, end), waiting_on = pause, None
        if stops.stops(status, waiting_on) or (end is not None and status in REOPEN_GAP):
            spans.append((start, end))
    return sorted(spans, key=lambda span: span[0])


def current_wait(facts: TicketFacts) -> str | None:
    """What the ticket waits on now: the reason of its open stretch, if that stretch is its current status."""
    last = facts.pauses[-1] if facts.pauses else None
    return last.waiting_on if last is not None and last.end is None and last.status == facts.status else None


def is_paused_now(facts: TicketFacts, stops: ClockStops | Collection[str]) -> bool:
    """Whether the ticket's clocks are stopped at this moment (its status, and what it waits on)."""
    return as_clock_stops(stops).stops(facts.status, current_wait(facts))
