"""The decide stage's work: run the assignment rules on a ticket and record what they did and why."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from assignment import Decision, TicketFacts, Workload
from assignment.engine import AFTER_HOURS_RULE
from assignment.timers import replan, schedule_timers, stored_facts
from classifiers.models import names_in
from intake.core.vocabulary import DONE_STATUSES, OPEN_STATUSES, PRIORITY_BY_URGENCY, ROUTABLE_STATUSES
from intake.pipeline.reclassify import reclassify_conversation
from intake.pipeline.safety_net import flag_ticket
from intake.pipeline.work import Work, classifier_of
from intake.runtime import Runtime
from store import tickets as ticket_store
from store.cursors import get_cursor, set_cursor
from store.models import Cursor, PropertyRow, Ticket

RR_PREFIX = "round-robin:"


def ticket_facts(ticket: Ticket, text: str = "") -> TicketFacts:
    """What the rules may look at, from a stored ticket (also used to replay tickets in `rules diff`)."""
    confidence = min(ticket.confidence.values()) if ticket.confidence else 1.0
    contract, contract_status = ticket_contract(ticket)
    return TicketFacts(
        number=ticket.number,
        channel=ticket.channel,
        category=ticket.category,
        subcategory=ticket.subcategory,
        urgency=ticket.urgency,
        property_id=ticket.property_id,
        unit=ticket.unit,
        billing_type=ticket.billing_type,
        contract=contract,
        contract_status=contract_status,
        hazards=names_in(ticket.evidence, "hazard"),
        signals=names_in(ticket.evidence, "signal"),
        confidence=confidence,
        needs_review=ticket.needs_review,
        text=text,
        subject=ticket.subject,
        sender=ticket.requester,
        status=ticket.status,
        assignee=ticket.assignee,
        priority=ticket.priority.lower() if ticket.priority else None,  # stored URGENT…LOW, rules use urgent…low
        team=ticket.team,
        created_at=ticket.created_at,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
    )


def ticket_contract(ticket: Ticket) -> tuple[str | None, str]:
    """The property's service contract from the registry, on the day the ticket came in (UTC date):
    (`PROPERTY-STARTDATE` while it is in force else None, and active / expired / upcoming / none)."""
    starts, ends = _contract_dates(object_session(ticket), ticket.property_id)
    if starts is None:
        return None, "none"
    on = (ticket.created_at or datetime.now(UTC)).astimezone(UTC).date()
    if on < starts:
        return None, "upcoming"
    if ends is not None and on > ends:
        return None, "expired"
    return f"{ticket.property_id}-{starts.isoformat()}", "active"


def _contract_dates(session: Session | None, property_id: str | None) -> tuple:
    """(starts, ends) of a property's contract, once per transaction (the facts are built several times per
    item): from the registry the pipeline classified with (see `classifier_of`), else from the store."""
    if session is None or not property_id:
        return None, None
    cache = session.info.setdefault("contract_dates", {})
    if property_id not in cache:
        registry = session.info.get("registry")
        if registry is not None:
            prop = registry.property(property_id)
            contract = prop.contract if prop is not None else None
            cache[property_id] = (contract.starts, contract.ends) if contract else (None, None)
        else:
            row = session.get(PropertyRow, property_id)
            cache[property_id] = (row.contract_starts, row.contract_ends) if row is not None else (None, None)
    return cache[property_id]


_OPEN_COUNTS = (
    select(Ticket.assignee, func.count())
    .where(Ticket.assignee.is_not(None), Ticket.status.in_([s.value for s in OPEN_STATUSES]))
    .group_by(Ticket.assignee)
)
_RR_CURSORS = select(Cursor.name, Cursor.value).where(Cursor.name.like(f"{RR_PREFIX}%"))


def current_workload(session: Session) -> Workload:
    """Open tickets per person, and the round-robin positions, as the store knows them now."""
    return Workload(open_tickets=open_ticket_counts(session), round_robin=round_robin_positions(session))


def open_ticket_counts(session: Session) -> dict[str, int]:
    return {person: n for person, n in session.execute(_OPEN_COUNTS)}


def round_robin_positions(session: Session) -> dict[str, int]:
    return {name[len(RR_PREFIX) :]: int(value) for name, value in session.execute(_RR_CURSORS)}


class LazyWorkload:
    """`current_workload`, each half read from the store only when a rule needs it: the open-ticket counts when
    a rule picks a person, the round-robin positions when it picks in turn (triage and team-only rules need
    neither)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._open_tickets: dict[str, int] | None = None
        self._round_robin: dict[str, int] | None = None

    @property
    def open_tickets(self) -> dict[str, int]:
        if self._open_tickets is None:
            self._open_tickets = open_ticket_counts(self._session)
        return self._open_tickets

    @property
    def round_robin(self) -> dict[str, int]:
        if self._round_robin is None:
            self._round_robin = round_robin_positions(self._session)
        return self._round_robin


def apply_rules(ctx: Runtime, session: Session, work: Work) -> Decision:
    """Decide, apply and explain: every change is a timeline event whose actor is the rule that made it."""
    ticket, now = work.ticket, ctx.clock()
    engine = ctx.rules().current()
    facts = ticket_facts(ticket, work.message.text or work.message.full_text)
    decision = engine.decide(facts, LazyWorkload(session), now)
    _apply_decision(session, ticket, decision, now)
    for pool, position in decision.round_robin_cursors.items():
        if get_cursor(session, RR_PREFIX + pool) != str(position):
            set_cursor(session, RR_PREFIX + pool, str(position))

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
    from assignment.followup import allowed_fields, previous_matches

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
        _apply_decision(session, ticket, decision, now, fields=fields, notify_rules=new_rules, prefix=prefix)
        for note in kept:
            ticket_store.add_event(session, ticket, "rules-kept", actor="rules", reason=prefix + note, at=now)
        applied = decision
    why = "reopened by the tenant's reply" if reopened else (f"follow-up: {raised}" if raised else "follow-up")
    work.after_commit.extend(replan(session, ticket, engine, now, actor="sla", why=why))
    return applied


def _raise_urgency(ctx: Runtime, session: Session, work: Work) -> str | None:
    """Classify the follow-up's own text (the classify stage's result when it ran); a higher urgency (never a
    lower one) goes on the ticket, and its priority follows unless a person set it. Returns what changed."""
    from assignment.followup import is_more_urgent, is_rules_actor, last_setter
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


def _apply_decision(
    session: Session, ticket: Ticket, decision: Decision, now, *, fields=None, notify_rules=None, prefix: str = ""
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
