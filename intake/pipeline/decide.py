"""The decide stage's work: run the assignment rules on a ticket and record what they did and why."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assignment import Decision, TicketFacts, Workload
from assignment.timers import schedule_timers
from intake.pipeline.work import Work
from intake.runtime import Runtime
from store import tickets as ticket_store
from store.cursors import get_cursor, set_cursor
from store.lifecycle import OPEN_STATUSES
from store.models import Cursor, Ticket

RR_PREFIX = "round-robin:"


def ticket_facts(ticket: Ticket, text: str = "") -> TicketFacts:
    """What the rules may look at, from a stored ticket (also used to replay tickets in `rules diff`)."""
    confidence = min(ticket.confidence.values()) if ticket.confidence else 1.0
    return TicketFacts(
        number=ticket.number, channel=ticket.channel, category=ticket.category, subcategory=ticket.subcategory,
        urgency=ticket.urgency, property_id=ticket.property_id, unit=ticket.unit, billing_type=ticket.billing_type,
        confidence=confidence, needs_review=ticket.needs_review, text=text, subject=ticket.subject,
        sender=ticket.requester, status=ticket.status, assignee=ticket.assignee,
        priority=ticket.priority.lower() if ticket.priority else None,  # stored URGENT…LOW, rules use urgent…low
        team=ticket.team, created_at=ticket.created_at, first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
    )


def current_workload(session: Session) -> Workload:
    """Open tickets per person, and the round-robin positions, as the store knows them now."""
    open_counts = session.execute(
        select(Ticket.assignee, func.count())
        .where(Ticket.assignee.is_not(None), Ticket.status.in_([s.value for s in OPEN_STATUSES]))
        .group_by(Ticket.assignee)
    ).all()
    cursors = session.execute(select(Cursor.name, Cursor.value).where(Cursor.name.like(f"{RR_PREFIX}%"))).all()
    return Workload(open_tickets={person: n for person, n in open_counts},
                    round_robin={name[len(RR_PREFIX):]: int(value) for name, value in cursors})


def apply_rules(ctx: Runtime, session: Session, work: Work) -> Decision:
    """Decide, apply and explain: every change is a timeline event whose actor is the rule that made it."""
    ticket, now = work.ticket, ctx.clock()
    engine = ctx.rules().current()
    facts = ticket_facts(ticket, work.message.text or work.message.full_text)
    decision = engine.decide(facts, current_workload(session), now)
    _apply_decision(session, ticket, decision, now)
    for pool, position in decision.round_robin_cursors.items():
        if get_cursor(session, RR_PREFIX + pool) != str(position):
            set_cursor(session, RR_PREFIX + pool, str(position))

    plan = engine.sla_plan(ticket_facts(ticket), ticket.created_at)
    ticket_store.set_fields(session, ticket, {"first_response_due": plan.first_response_due,
                                              "resolution_due": plan.resolution_due},
                            actor=plan.override or "sla", at=now,
                            reason=f"{plan.priority} targets: first response {plan.first_response_target}, "
                                   f"resolution {plan.resolution_target} ({plan.clock} time, calendar {plan.calendar})")
    work.after_commit.extend(_timer_messages(ctx, session, ticket, engine, plan, now))
    return decision


def _apply_decision(session: Session, ticket: Ticket, decision: Decision, now) -> None:
    rule_of = decision.set_by
    values = {}
    for field in ("team", "assignee"):
        if getattr(decision, field) is not None:
            values[field] = getattr(decision, field)
    if decision.priority is not None:  # rules may write "urgent"; tickets use the URGENT…LOW scale
        values["priority"] = decision.priority.upper()
    if decision.tags:
        values["tags"] = sorted(set(ticket.tags) | set(decision.tags))
    if decision.requires_approval:
        values["requires_approval"] = True
    if decision.to_triage:
        values["needs_review"] = True
        values["review_reasons"] = [*ticket.review_reasons, f"rule `{rule_of.get('triage', '?')}` sent it to triage"]
    actor = rule_of.get("team") or rule_of.get("assignee") or (decision.matched_rules or ["rules"])[0]
    ticket_store.set_fields(session, ticket, values, actor=actor, reason=decision.explain(), at=now)
    ticket_store.add_event(session, ticket, "rules-evaluated", actor="rules",
                           changes={"matched": decision.matched_rules,
                                    "hits": [hit.model_dump() for hit in decision.hits if hit.matched]},
                           reason=decision.explain(), at=now)
    for note in decision.notify:
        ticket_store.add_event(session, ticket, "notification-requested", actor=note.rule,
                               changes={"target": note.target, "kind": note.kind, "via": note.via}, at=now)
    if (ticket.assignee or ticket.team) and not ticket.needs_review:
        ticket_store.change_status(session, ticket, "assigned", actor=actor, reason=decision.explain().splitlines()[0], at=now)


def _timer_messages(ctx, session, ticket, engine, plan, now) -> list[tuple]:
    """SLA timers: stored with their due times, and sent delayed to the broker once committed."""
    return schedule_timers(session, ticket, engine, plan, now)
