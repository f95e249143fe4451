"""Follow-ups on a ticket the classifier could not place: a chat that began with "hi" learns from what follows.

Part of the decide stage for messages that join a ticket (see `decide.redecide`). While the ticket's category
is still `other` and no person set it, the whole conversation is classified again; a real category replaces
`other`, with its evidence, and the rules then run on the new facts.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from assignment.followup import is_rules_actor, last_setter
from intake.pipeline.work import Work, classifier_of
from intake.runtime import Runtime
from store import tickets as ticket_store

UNPLACED = {None, "other"}
TAKEN_OVER = ("category", "subcategory", "billing_type", "requires_approval", "estimated_cost", "currency")


def reclassify_conversation(ctx: Runtime, session: Session, work: Work, texts: list[str]) -> str | None:
    """Classify the ticket's inbound messages together (`texts`, see `inbound_texts`) when its category is
    still unplaced; returns what changed."""
    # lazy: classifiers loads spaCy, which processes that only enqueue (web, beat) never need
    from classifiers import ClassifyInput

    ticket = work.ticket
    if ticket.category not in UNPLACED or not is_rules_actor(last_setter(ticket, "category"), ctx.rules().current()):
        return None
    text = "\n".join(texts).strip()
    if not text:
        return None
    result = classifier_of(ctx, session, work).classify(
        ClassifyInput(
            id=str(work.raw.id),
            channel=ticket.channel,
            sender=ticket.requester,
            subject=None,
            body=text,
            received_at=ticket.created_at,
        )
    )
    if result.category in UNPLACED:
        return None
    values = {field: getattr(result, field) for field in TAKEN_OVER}
    if not ticket.unit and result.unit:
        values |= {"property_id": result.property, "unit": result.unit}
    proof = next((f"{e.source}: {e.text!r}" for e in result.evidence if e.field == "category"), "the conversation")
    what = f"category {ticket.category or 'unset'} → {result.category}/{result.subcategory or '-'}"
    ticket_store.set_fields(
        session,
        ticket,
        values,
        actor="classifier",
        at=ctx.clock(),
        reason=f"the conversation so far says {what}, from {proof}",
    )
    ticket.confidence = {**(ticket.confidence or {}), **result.confidence}
    ticket.evidence = [*(ticket.evidence or []), *(e.model_dump() for e in result.evidence)]
    if ticket.status == "new":  # still untouched: triage is decided again from the new classification
        kept = [r for r in ticket.review_reasons if r.startswith("probable follow-up")]
        ticket.review_reasons = [*kept, *result.review_reasons]
        ticket.needs_review = bool(ticket.review_reasons)
    return what
