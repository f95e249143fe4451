"""Re-deciding a ticket when a follow-up changes its facts: what the rules may change, and what stays.

Policy (rules/README.md, "Follow-ups and reopened tickets"): urgency only rises; a person's (or an
escalation's) assignment, priority and status are never overridden; a rule-made assignment moves only when a
different rule now decides it (so the same facts never reshuffle people); tags only add up; triage and billing
approval are decided again only while the ticket is still `new`; notifications go out for newly matched rules.
"""

from __future__ import annotations

from assignment.engine import AFTER_HOURS_RULE, RuleEngine
from intake.core.vocabulary import URGENCY_LEVELS

MACHINE_ACTORS = frozenset({"rules", "classifier", AFTER_HOURS_RULE})


def is_more_urgent(new: str | None, old: str | None) -> bool:
    """Whether urgency `new` is above `old` (unknown values rank lowest)."""
    rank = {name: index for index, name in enumerate(URGENCY_LEVELS)}
    return new in rank and rank[new] < rank.get(old or "", len(URGENCY_LEVELS))


def last_setter(ticket, *fields: str) -> str | None:
    """The actor of the latest timeline change to any of `fields`, or None if none was recorded."""
    for event in sorted(ticket.events, key=lambda e: (e.at, e.id or 0), reverse=True):
        if event.kind == "fields-changed" and any(f in (event.changes or {}) for f in fields):
            return event.actor
    return None


def is_rules_actor(actor: str | None, engine: RuleEngine) -> bool:
    """Changes made by the rules or the classifier (which a re-decision may revise), not by people or escalations."""
    return actor is None or actor in MACHINE_ACTORS or actor in engine.rule_names


def previous_matches(ticket) -> set[str]:
    """The rules that matched at the ticket's last evaluation."""
    events = [e for e in ticket.events if e.kind == "rules-evaluated"]
    last = max(events, key=lambda e: (e.at, e.id or 0), default=None)
    return set((last.changes or {}).get("matched", [])) if last is not None else set()


def allowed_fields(ticket, decision, engine: RuleEngine) -> tuple[set[str], list[str]]:
    """The fields a re-decision may change on this ticket, and a note for each one it keeps."""
    fields, kept = {"tags"}, []
    assigned_by = last_setter(ticket, "team", "assignee")
    current = ticket.assignee or ticket.team
    if not current or (is_rules_actor(assigned_by, engine) and decision.set_by.get("team") not in (None, assigned_by)):
        fields |= {"team", "assignee"}
    elif not is_rules_actor(assigned_by, engine) and (decision.team, decision.assignee) != (
        ticket.team,
        ticket.assignee,
    ):
        kept.append(f"kept {current}: assigned by {assigned_by}, which rules never override")
    priority_by = last_setter(ticket, "priority")
    if is_rules_actor(priority_by, engine):
        fields.add("priority")
    elif decision.priority and decision.priority.upper() != ticket.priority:
        kept.append(f"kept priority {ticket.priority}: set by {priority_by}, which rules never override")
    if ticket.status == "new":
        fields |= {"needs_review", "requires_approval"}
    return fields, kept
