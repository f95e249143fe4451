"""Replaying tickets through two rule sets and reporting the decisions that would change, for
`intake rules diff OLD NEW`. Pure: the CLI loads the tickets; each replay decides "as of" the ticket's creation
with an empty workload, so only the rules differ between the two runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, Field

from assignment.engine import RuleEngine
from assignment.facts import TicketFacts, Workload

ASPECTS = ("assignee", "priority", "triage", "approval", "tags", "sla", "escalation")


class DecisionChange(BaseModel):
    ticket: str
    aspect: str  # one of ASPECTS
    old: str
    new: str
    old_rules: list[str] = Field(default_factory=list)  # rules that matched under the old set
    new_rules: list[str] = Field(default_factory=list)


class DiffReport(BaseModel):
    compared: int = 0
    changed_tickets: int = 0
    changes: list[DecisionChange] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)  # aspect → tickets changed in it

    def format(self) -> str:
        lines = [
            f"{c.ticket}: {c.aspect}: {c.old} → {c.new}   (rules: {', '.join(c.old_rules) or '-'} → "
            f"{', '.join(c.new_rules) or '-'})"
            for c in self.changes
        ]
        lines.append(f"{self.compared} tickets replayed, {self.changed_tickets} would change")
        lines += [f"  {aspect}: {count}" for aspect, count in self.counts.items()]
        return "\n".join(lines)


def _outcome(engine: RuleEngine, facts: TicketFacts) -> tuple[dict[str, str], list[str]]:
    """The comparable decisions of one engine for one ticket, as text, and the rules that matched."""
    now = facts.created_at
    decision = engine.decide(facts, Workload(), now)
    decided = facts.model_copy(update={"priority": decision.priority or facts.priority})
    plan = engine.sla_plan(decided)
    timers = engine.timers(decided, plan, assigned=bool(decision.assignee), now=now)
    due = lambda value: value.isoformat(timespec="minutes") if value else "paused"  # noqa: E731
    return {
        "assignee": f"{decision.team or '-'}/{decision.assignee or '-'}",
        "priority": decision.priority or "-",
        "triage": "yes" if decision.to_triage else "no",
        "approval": "yes" if decision.requires_approval else "no",
        "tags": ",".join(sorted(decision.tags)) or "-",
        "sla": f"{plan.priority} first response {due(plan.first_response_due)}, resolution {due(plan.resolution_due)}"
        + (f" ({plan.override})" if plan.override else ""),
        "escalation": "; ".join(
            f"{t.kind}@{due(t.due_at)} L{t.level or '-'} notify {','.join(t.action.notify) or '-'}"
            + (f" reassign {t.action.reassign}" if t.action.reassign else "")
            for t in timers
        )
        or "-",
    }, decision.matched_rules


def diff_decisions(old_engine: RuleEngine, new_engine: RuleEngine, tickets: Iterable[TicketFacts]) -> DiffReport:
    """Every decision that differs between the two rule sets, ticket by ticket, with per-aspect counts."""
    report = DiffReport()
    counts: Counter[str] = Counter()
    for index, facts in enumerate(tickets, start=1):
        report.compared += 1
        old, old_rules = _outcome(old_engine, facts)
        new, new_rules = _outcome(new_engine, facts)
        changed = [aspect for aspect in ASPECTS if old[aspect] != new[aspect]]
        if changed:
            report.changed_tickets += 1
        for aspect in changed:
            counts[aspect] += 1
            report.changes.append(
                DecisionChange(
                    ticket=facts.number or f"#{index}",
                    aspect=aspect,
                    old=old[aspect],
                    new=new[aspect],
                    old_rules=old_rules,
                    new_rules=new_rules,
                )
            )
    report.counts = {aspect: counts[aspect] for aspect in ASPECTS if counts[aspect]}
    return report
