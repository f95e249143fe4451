"""What the follow-up policy reads besides the message and its classification: the tickets of the unit the
message is about, the names that are no topic, and a candidate ticket's own words (see followup.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session

from intake.channels.continuation import says_continues, unsigned
from intake.core.models import ThreadCandidate, ThreadMatch
from intake.pipeline.followup import settle_thread
from intake.pipeline.work import Work, classifier_of
from intake.runtime import Runtime
from store import threads
from store import tickets as ticket_store

UNIT_LOOKBACK = timedelta(days=30)  # a flatmate's follow-up names a problem of the unit active this recently


def settle(ctx: Runtime, session: Session, work: Work) -> ThreadMatch:
    """The thread stage's guess settled by `followup.settle_thread` with everything it reads."""
    message = work.message
    candidates = [*work.candidates, *unit_candidates(ctx, session, work)]
    return settle_thread(
        work.thread,
        work.classification,
        candidates,
        ctx.settings.classification.topic_change_threshold,
        text=message.text or message.full_text,
        conversation=conversation_of(session),
        sender=message.sender,
        subject=message.subject,
        names=names_of(ctx, session, work, candidates),
    )


def unit_candidates(ctx: Runtime, session: Session, work: Work) -> list[ThreadCandidate]:
    """For a message the thread stage placed nowhere and that reads like a follow-up, the open tickets of the
    unit it is confidently about (a flatmate writing from another address); the policy still needs words in
    common with one of them. Looked up only then: most new messages cost no query here."""
    result, thread, message = work.classification, work.thread, work.message
    if (
        thread.ticket_number is not None
        or thread.signal not in (None, "conversation-window")
        or not (result.property and result.unit)
        or result.confidence.get("unit", 0.0) < ctx.settings.classification.topic_change_threshold
        or not says_continues(f"{message.subject or ''}\n{message.text or message.full_text}")
    ):
        return []
    known = {c.ticket_number for c in work.candidates}
    found = threads.open_unit_candidates(session, result.property, result.unit, ctx.clock() - UNIT_LOOKBACK)
    return [c for c in found if c.ticket_number not in known]


def names_of(ctx: Runtime, session: Session, work: Work, candidates: list[ThreadCandidate]) -> tuple[str, ...]:
    """Names that are no topic: the sender's (address, display name, registered name) and those of the properties
    the message and its candidates are about (name, aliases, address: "Oak Terrace" ties no two problems)."""
    registry = classifier_of(ctx, session, work).registry
    message, wanted = work.message, {work.classification.property, *(c.property_id for c in candidates)}
    people = [tenant.name for tenant in registry.tenants_for_sender(message.sender)]
    places = [
        text
        for prop in registry.properties
        if prop.id in wanted
        for text in (prop.name, prop.address or "", *prop.aliases)
    ]
    return (message.sender, message.sender_name or "", *people, *places)


def conversation_of(session: Session) -> Callable[[str], str]:
    """A candidate ticket's own words by number: its subject and what the tenant side wrote on it, each
    message without its sign-off."""

    def conversation(number: str) -> str:
        ticket = threads.for_follow_up(session, number)
        texts = ticket_store.inbound_texts(session, ticket) if ticket else []
        return "\n".join([ticket.subject or "", *map(unsigned, texts)]) if ticket else ""

    return conversation
