"""The decide stage's work: run the assignment rules on a ticket and record what they did and why."""

from __future__ import annotations

from sqlalchemy.orm import Session

from assignment import Decision
from assignment.apply import apply_decision
from assignment.engine import AFTER_HOURS_RULE
from assignment.followup import allowed_fields, is_more_urgent, is_rules_actor, last_setter, previous_matches
from assignment.ticket_facts import stored_facts, ticket_facts
from assignment.timers import replan, schedule_timers
from assignment.workload import LazyWorkload, save_round_robin
from intake.core.vocabulary import DONE_STATUSES, PRIORITY_BY_URGENCY
from intake.pipeline.reclassify import reclassify_conversation
from intake.pipeline.safety_net import flag_ticket
from intake.pipeline.work import Work, classifier_of
from intake.runtime import Runtime
from store import tickets as ticket_store
from store.models import Ticket


def apply_rules(ctx: Runtime, session: Session, work: Work) -> Decision:
    """Decide, apply and explain: every change is a timeline event whose actor is the rule that made it."""
    ticket, now = work.ticket, ctx.clock()
    engine = ctx.rules().current()
    facts = ticket_facts(ticket, work.message.text or work.message.full_text)
    decision = engine.decide(facts, LazyWorkload(session), now)
    apply_decision(session, ticket, decision, now)
    save_round_robin(session, decision)

    plan = engine.sla_plan(ticket_facts(ticket), ticket.created_at)
    ticket_store.set_fields(
        session,
        ticket,
        {"first_response_due": plan.first_response_due, "resolution_due": plan.resolution_due},
        actor=plan.override or "sla",
        at=now,
        reason=f"{plan.priority} targets: first response {plan.first_response_target}, "
        f"resolution {plan.resolution_target} ({plan.clock} time, calendar {plan.calendar})",
    )
    work.after_commit.extend(schedule_timers(session, ticket, engine, plan, now, new_ticket=True))
    return decision


def redecide(ctx: Runtime, session: Session, work: Work) -> Decision | None:
    """A follow-up on an open ticket: raise its urgency if the new message says so, run the rules again when
    the facts changed (policy in assignment.followup), and re-plan the SLA (a reopened ticket gets its
    timers back). Returns the decision applied, or None when the facts did not change."""
    ticket, now, engine = work.ticket, ctx.clock(), ctx.rules().current()
    if ticket.status in DONE_STATUSES:
        return None  # a reply to a closed ticket that was not reopened (pipeline.reopen_resolved_on_reply)
    reopened = any(e.kind == "reopened" and e.at == now for e in ticket.events)
    texts = ticket_store.inbound_texts(session, ticket)
    placed = reclassify_conversation(ctx, session, work, texts)
    raised = _raise_urgency(ctx, session, work)
    raised = "; ".join(x for x in (placed, raised) if x) or None
    facts = stored_facts(ticket, "\n".join(texts))
    decision = engine.decide(facts, LazyWorkload(session), now)
    before = previous_matches(ticket) - {AFTER_HOURS_RULE}
    new_rules = set(decision.matched_rules) - previous_matches(ticket)
    changed = raised or set(decision.matched_rules) - {AFTER_HOURS_RULE} != before
    applied = None
    if changed:
        fields, kept = allowed_fields(ticket, decision, engine)
        prefix = f"re-decided after follow-up ({raised or 'rules matched differently'}): "
        apply_decision(session, ticket, decision, now, fields=fields, notify_rules=new_rules, prefix=prefix)
        for note in kept:
            ticket_store.add_event(session, ticket, "rules-kept", actor="rules", reason=prefix + note, at=now)
        applied = decision
    why = "reopened by the tenant's reply" if reopened else (f"follow-up: {raised}" if raised else "follow-up")
    work.after_commit.extend(replan(session, ticket, engine, now, actor="sla", why=why))
    return applied


def _raise_urgency(ctx: Runtime, session: Session, work: Work) -> str | None:
    """Classify the follow-up's own text (the classify stage's result when it ran); a higher urgency (never a
    lower one) goes on the ticket, and its priority follows unless a person set it. Returns what changed."""
    # lazy: classifiers loads spaCy, which processes that only enqueue (web, beat) never need
    from classifiers import ClassifyInput

    ticket, message = work.ticket, work.message
    result = work.classification or classifier_of(ctx, session, work).classify(
        ClassifyInput(
            id=str(work.raw.id),
            channel=message.channel.value,
            sender=message.sender,
            subject=message.subject,
            body=message.text or message.full_text,
            received_at=message.received_at,
        )
    )
    _add_flags(ticket, result.evidence)
    flag_ticket(ctx, session, work, ticket, result)  # raised, never cleared, by the follow-up's own words
    if not is_more_urgent(result.urgency, ticket.urgency):
        return None
    values = {"urgency": result.urgency}
    if is_rules_actor(last_setter(ticket, "priority"), ctx.rules().current()):
        values["priority"] = PRIORITY_BY_URGENCY[result.urgency]
    proof = next((f"{e.source}: {e.text!r}" for e in result.evidence if e.field == "urgency"), "the new message")
    what = f"urgency {ticket.urgency or 'unset'} → {result.urgency}"
    ticket_store.set_fields(
        session, ticket, values, actor="classifier", at=ctx.clock(), reason=f"follow-up raised the {what}, from {proof}"
    )
    return what


def _add_flags(ticket: Ticket, evidence: list) -> None:
    """The follow-up's hazards and signals join the ticket's evidence, so the rules re-decide with them too
    ("now there is a gas smell" on a ticket about a drip)."""
    known = {(e.get("field"), e.get("source")) for e in ticket.evidence or []}
    new = [e.model_dump() for e in evidence if e.field in ("hazard", "signal") and (e.field, e.source) not in known]
    if new:
        ticket.evidence = [*(ticket.evidence or []), *new]  # a new list: the JSON column sees the change
