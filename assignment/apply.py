"""Applying a decision of the rules to a ticket: every changed field credited to the rule that set it, one timeline
event per rule, the evaluation and the notifications it asked for recorded; a routed ticket becomes `assigned`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from assignment.decision import Decision
from intake.core.vocabulary import ROUTABLE_STATUSES
from store import tickets as ticket_store
from store.models import Ticket


def credited_changes(decision: Decision) -> list[tuple[str, str, object, str]]:
    """What the decision changes, field by field, each with the rule that set it and why:
    (rule, field, value, reason), e.g. ("plumbing-specialist", "team", "plumbing", "assigned to plumbing because…")."""
    rule_of, changes = decision.set_by, []
    same = rule_of.get("team") == rule_of.get("assignee")
    for field in ("team", "assignee"):
        value = getattr(decision, field)
        if value is None:
            continue
        who = " / ".join(x for x in (decision.team, decision.assignee) if x) if same else value
        what = "assigned to" if field == "team" or same else "person"
        changes.append((rule_of.get(field, "rules"), field, value, f"{what} {who} {decision.because(field)}"))
    if decision.priority is not None:  # rules may write "urgent"; tickets use the URGENT…LOW scale
        changes.append(
            (
                rule_of.get("priority", "rules"),
                "priority",
                decision.priority.upper(),
                f"priority {decision.priority} {decision.because('priority')}",
            )
        )
    for tag in decision.tags:
        rule = decision.tag_rules.get(tag, "rules")
        changes.append((rule, "tags", tag, f"tag {tag} {decision._because_rule(rule)}"))
    if decision.requires_approval:
        changes.append(
            (
                rule_of.get("requires_approval", "rules"),
                "requires_approval",
                True,
                f"needs billing approval {decision.because('requires_approval')}",
            )
        )
    if decision.to_triage:
        changes.append(
            (rule_of.get("triage", "rules"), "needs_review", True, f"sent to triage {decision.because('triage')}")
        )
    return changes


def apply_decision(
    session: Session,
    ticket: Ticket,
    decision: Decision,
    now: datetime,
    *,
    fields: set[str] | None = None,
    notify_rules: set[str] | None = None,
    prefix: str = "",
) -> list[str]:
    """Apply the decision (only `fields` and the notifications of `notify_rules`, when given): one timeline event
    per rule, crediting each changed field to the rule that set it. Returns the fields changed."""
    grouped: dict[str, tuple[dict, list[str]]] = {}
    for rule, field, value, reason in credited_changes(decision):
        if fields is not None and field not in fields:
            continue
        values, reasons = grouped.setdefault(rule, ({}, []))
        if field == "tags":  # merged with the ticket's tags when applied: rules only ever add tags
            value = [*values.get("tags", []), value]
        values[field] = value
        if reason not in reasons and not (field == "assignee" and reason.startswith("assigned to")):
            reasons.append(reason)
    changed: list[str] = []
    for rule, (values, reasons) in grouped.items():
        if "tags" in values:
            values["tags"] = sorted(set(ticket.tags) | set(values["tags"]))
        if values.get("needs_review"):
            why = f"rule `{rule}` sent it to triage"
            values["review_reasons"] = [*ticket.review_reasons, *([] if why in ticket.review_reasons else [why])]
        changed += ticket_store.set_fields(
            session, ticket, values, actor=rule, reason=prefix + "; ".join(reasons), at=now
        )
    if changed or fields is None:
        ticket_store.add_event(
            session,
            ticket,
            "rules-evaluated",
            actor="rules",
            changes={
                "matched": decision.matched_rules,
                "hits": [hit.model_dump() for hit in decision.hits if hit.matched],
            },
            reason=prefix + decision.explain(),
            at=now,
        )
    for note in decision.notify:
        if notify_rules is None or note.rule in notify_rules:
            ticket_store.add_event(
                session,
                ticket,
                "notification-requested",
                actor=note.rule,
                changes={"target": note.target, "kind": note.kind, "via": note.via},
                at=now,
            )
    actor = decision.set_by.get("team") or decision.set_by.get("assignee") or (decision.matched_rules or ["rules"])[0]
    if ticket.status in ROUTABLE_STATUSES and (ticket.assignee or ticket.team) and not ticket.needs_review:
        ticket_store.change_status(
            session, ticket, "assigned", actor=actor, reason=decision.explain().splitlines()[0], at=now
        )
    return changed
