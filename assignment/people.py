"""Teams and people as the engine uses them, and picking one person within a pool.

`least_loaded` compares open tickets to capacity; `round_robin` walks the pool from a cursor the caller keeps
(in the database) and returns the next cursor. Only people who cover the property, are on shift and have free
capacity can be picked; when nobody can, the ticket stays with the team and a note says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from assignment.facts import TicketFacts, Workload
from assignment.hours import Window, parse_weekly_hours
from assignment.schema import PersonSpec, TeamSpec


@dataclass
class Person:
    name: str
    skills: frozenset[str]
    properties: frozenset[str]
    week: dict[int, list[Window]]
    capacity: int
    timezone: ZoneInfo

    @classmethod
    def from_spec(cls, name: str, spec: PersonSpec, timezone: ZoneInfo) -> Person:
        return cls(
            name,
            frozenset(s.lower() for s in spec.skills),
            frozenset(spec.properties),
            parse_weekly_hours(spec.hours),
            spec.capacity,
            timezone,
        )

    def covers(self, property_id: str | None) -> bool:
        return not self.properties or property_id in self.properties

    def is_on_shift(self, at: datetime) -> bool:
        local = at.astimezone(self.timezone)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.week[local.weekday()])

    def has_skill(self, skill: str) -> bool:
        return skill.lower() in self.skills


@dataclass
class Team:
    name: str
    members: list[str]
    pick: str
    lead: str | None

    @classmethod
    def from_spec(cls, name: str, spec: TeamSpec) -> Team:
        return cls(name, list(spec.members), spec.pick, spec.lead)


def ticket_skills(facts: TicketFacts) -> list[str]:
    """Skills that fit a ticket, most specific first: category/subcategory, subcategory, category."""
    category, sub = (facts.category or "").lower(), (facts.subcategory or "").lower()
    return [s for s in (f"{category}/{sub}" if category and sub else "", sub, category) if s]


def pick_person(
    pool: str,
    candidates: list[Person],
    strategy: str,
    facts: TicketFacts,
    workload: Workload,
    now: datetime,
    cursors: dict[str, int],
) -> tuple[Person | None, str]:
    """Choose within `candidates`; returns the person (or None) and a reason for the explanation."""
    if strategy == "none" or not candidates:
        return None, f"no pick within {pool}" if candidates else f"{pool} has nobody to pick from"
    load = workload.open_tickets

    def is_eligible(person: Person) -> bool:
        return (
            person.covers(facts.property_id) and person.is_on_shift(now) and load.get(person.name, 0) < person.capacity
        )

    if strategy == "round_robin":
        start = cursors.get(pool, workload.round_robin.get(pool, 0))
        for step in range(len(candidates)):
            index = (start + step) % len(candidates)
            if is_eligible(candidates[index]):
                cursors[pool] = (index + 1) % len(candidates)
                return candidates[index], f"round robin in {pool} picked {candidates[index].name}"
    else:
        eligible = [
            (load.get(p.name, 0) / p.capacity, load.get(p.name, 0), i, p)
            for i, p in enumerate(candidates)
            if is_eligible(p)
        ]
        if eligible:
            ratio, count, _, person = min(eligible, key=lambda row: row[:3])
            return person, f"least loaded in {pool}: {person.name} ({count}/{person.capacity} open)"
    return None, f"nobody in {pool} covers {facts.property_id or 'the property'}, is on shift and has free capacity"
