"""Is a message without threading headers really a follow-up? The thread stage's guess, checked against the topic.

Runs in the classify stage, right after the new message is classified (thread → classify → persist). Knowing
who wrote and when is not evidence that a message continues an open ticket; its topic is. So a guess from
weak signals (the sender, the unit, a similar subject, the chat window) is settled here:

- the classifier is confident (`classification.topic_change_threshold`) that the message is about another category
  or subcategory than the ticket: a new ticket, routed normally, no link;
- a stranger's similar subject about another unit than the ticket's: a new ticket, no link;
- an urgent message never waits in triage for a threading guess: its own ticket, routed at once, with a
  "may relate to X" note on both tickets for a person to merge (`intake tickets merge`);
- otherwise the guess stands: a sure join joins, a probable one goes to the triage lane.

Links the message carries itself (In-Reply-To, References, a ticket number, a provider case, a quoted chat
message) are never second-guessed here.
"""

from __future__ import annotations

from intake.models import ThreadCandidate, ThreadMatch

EXPLICIT_SIGNALS = frozenset({"in-reply-to", "references", "ticket-reference", "external-ticket-id",
                              "reply-context", "rate-limit"})
UNPLACED = {None, "other"}  # a topic nobody could place says nothing about a difference


def settle_thread(thread: ThreadMatch, result, candidates: list[ThreadCandidate], threshold: float) -> ThreadMatch:
    """The thread match after the topic check; `result` is the message's classification (classifiers)."""
    if thread.ticket_number is None or thread.signal in EXPLICIT_SIGNALS or result is None:
        return thread
    candidate = next((c for c in candidates if c.ticket_number == thread.ticket_number), None)
    if candidate is None:
        return thread
    reason = topic_difference(result, candidate, threshold)
    if reason is None and thread.signal == "subject":
        reason = unit_difference(result, candidate, threshold)
    if reason is not None:
        return ThreadMatch(signal="different-topic", score=thread.score, evidence=[*thread.evidence, reason])
    if not thread.sure and result.urgency == "urgent":
        return thread.model_copy(update={"note_only": True, "evidence": [
            *thread.evidence, f"urgent: its own ticket, routed now; may relate to {thread.ticket_number}"]})
    return thread


def topic_difference(result, candidate: ThreadCandidate, threshold: float) -> str | None:
    """Why the message is about another topic than the ticket, when the classifier is sure of it; else None."""
    if result.category in UNPLACED or candidate.category in UNPLACED:
        return None
    confidence = result.confidence
    if confidence.get("category", 0.0) < threshold:
        return None
    if result.category != candidate.category:
        return (f"about {result.category} ({confidence['category']:.2f}), "
                f"{candidate.ticket_number} is about {candidate.category}")
    if (result.subcategory and candidate.subcategory and result.subcategory != candidate.subcategory
            and confidence.get("subcategory", 0.0) >= threshold):
        return (f"about {result.category}/{result.subcategory} ({confidence['subcategory']:.2f}), "
                f"{candidate.ticket_number} is about {candidate.category}/{candidate.subcategory}")
    return None


def unit_difference(result, candidate: ThreadCandidate, threshold: float) -> str | None:
    """Why another person's mail with a similar subject is about another home than the ticket; else None."""
    if not (result.unit and candidate.unit) or result.confidence.get("unit", 0.0) < threshold:
        return None
    if (result.property, result.unit.lower()) == (candidate.property_id, candidate.unit.lower()):
        return None
    return f"about unit {result.property} {result.unit}, {candidate.ticket_number} is about {candidate.property_id} {candidate.unit}"
