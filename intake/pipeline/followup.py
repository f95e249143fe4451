"""Is a message without threading headers really a follow-up? The thread stage's guess, checked against what the
message says (continuation.py) and what it is about (the classifier).

Runs in the classify stage, right after the new message is classified (thread → classify → persist). Knowing
who wrote and when is not evidence that a message continues an open ticket; what it says is. A guess from weak
signals (the sender, the unit, a similar subject, the chat window) is settled here, in this order:

1. the message says it is about something else ("not about the sink", "different thing", "another problem"):
   a new ticket;
2. the ticket is resolved, the message says the repair held ("has been fine since") and brings a topic of its
   own: a new ticket;
3. the classifier is confident (`classification.topic_change_threshold`) that the message is about another
   category or subcategory, and nothing ties it to the ticket (no continuation cue such as "still", "again",
   "the plumber", "de novo"; no words in common with the ticket's conversation): a new ticket. A confident other
   topic alone is not enough: "the fan now trips the breaker" is the fan ticket told in electrical words;
4. a stranger's similar subject about another unit than the ticket's: a new ticket;
5. a weak guess (not sure: the sender's home, a stranger's subject, a chat message after the window) needs a
   sign of continuation, unless the message has no topic of its own ("when are you coming?"); without one, a
   message with its own confident topic is a new ticket;
6. an urgent message never waits in triage for a threading guess: a sure continuation joins its ticket (it is
   the same emergency, already routed, and re-decided there); a probable one opens its own ticket, routed at
   once, with a "may relate to X" note on both tickets for a person to merge (`intake tickets merge`);
7. otherwise the guess stands: a sure join joins, a probable one goes to the triage lane.

A message the thread stage found no ticket for is looked at once more: from a participant of one of the sender's
open tickets, or about the unit of one, with a continuation cue AND words in common with it, it is a probable
follow-up (a tenant rewording the subject, a flatmate writing about the same shower). Every decision adds a line
of evidence to the ticket's timeline. Links the message carries itself (In-Reply-To, References, a ticket
number, a provider case, a quoted chat message) are never second-guessed here.
"""

from __future__ import annotations

from collections.abc import Callable

from intake.channels.continuation import Signs, read_signs
from intake.channels.email.threading import is_similar_subject
from intake.core.models import ThreadCandidate, ThreadMatch
from intake.core.vocabulary import OPEN_STATUSES

EXPLICIT_SIGNALS = frozenset(
    {"in-reply-to", "references", "ticket-reference", "external-ticket-id", "reply-context", "rate-limit"}
)
UNPLACED = {None, "other"}  # a topic nobody could place says nothing about a difference
OWN_TOPIC = 0.5  # from this category confidence a placed message has a topic of its own
_DONE = {"resolved", "closed"}


def settle_thread(
    thread: ThreadMatch,
    result,
    candidates: list[ThreadCandidate],
    threshold: float,
    text: str = "",
    conversation: Callable[[str], str] = lambda number: "",
    sender: str | None = None,
    subject: str | None = None,
    names: tuple[str, ...] = (),
) -> ThreadMatch:
    """The thread match after the checks above; `result` is the message's classification (classifiers), `text`
    its body, `conversation(number)` a candidate ticket's own text (subject and the tenant side's messages)."""
    if thread.signal in EXPLICIT_SIGNALS or result is None:
        return thread
    if thread.ticket_number is None:
        return _rescue(thread, result, candidates, threshold, text, conversation, sender, subject, names)
    candidate = next((c for c in candidates if c.ticket_number == thread.ticket_number), None)
    if candidate is None:
        return thread
    signs = read_signs(_own_words(text, subject, candidate), conversation(candidate.ticket_number), names)
    reason = _new_matter(thread, result, candidate, threshold, signs)
    if reason is not None:
        return ThreadMatch(signal="different-topic", score=thread.score, evidence=[*thread.evidence, reason])
    evidence = [*thread.evidence, f"continues {candidate.ticket_number}: {_why_continues(result, signs)}"]
    if not thread.sure and result.urgency == "urgent":
        evidence.append(f"urgent: its own ticket, routed now; may relate to {thread.ticket_number}")
        return thread.model_copy(update={"note_only": True, "evidence": evidence})
    return thread.model_copy(update={"evidence": evidence})


def _new_matter(thread: ThreadMatch, result, candidate: ThreadCandidate, threshold: float, signs: Signs) -> str | None:
    """Why the message is a new ticket rather than the guessed follow-up (rules 1-5), or None."""
    number = candidate.ticket_number
    if signs.other_matter:
        return f"new ticket: the message says {signs.other_matter!r}, not {number}'s matter"
    if candidate.status.lower() in _DONE and signs.fix_held_cue and has_own_topic(result, threshold):
        return (
            f"new ticket: {number} is {candidate.status} and the message says {signs.fix_held_cue!r}; "
            f"it is about {_topic(result)}"
        )
    difference = topic_difference(result, candidate, threshold)
    if (
        difference is not None and not signs.tied_by_words
    ):  # a lone "still" may be about anything ("the freezer still works")
        return f"new ticket: {difference}; {signs.explain()}"
    if thread.signal == "subject" and (difference := unit_difference(result, candidate, threshold)):
        return f"new ticket: {difference}"
    if not thread.sure and not signs.continues and has_own_topic(result, OWN_TOPIC):
        return (
            f"new ticket: only {thread.signal} ties it to {number}; it is about {_topic(result)} "
            f"and has {signs.explain()}"
        )
    return None


def _why_continues(result, signs: Signs) -> str:
    if signs.continues:
        return signs.explain()
    return "same topic" if has_own_topic(result, OWN_TOPIC) else "no topic of its own"


def _rescue(
    thread: ThreadMatch,
    result,
    candidates: list[ThreadCandidate],
    threshold: float,
    text: str,
    conversation: Callable[[str], str],
    sender: str | None,
    subject: str | None,
    names: tuple[str, ...],
) -> ThreadMatch:
    """A probable follow-up the thread stage missed: an open ticket of the sender's (or of the unit the message is
    about) that the message continues in words (a continuation cue and words in common), or the match unchanged."""
    if not candidates or thread.signal in {"new-issue-marker", "new-issue-topic"}:
        return thread
    for candidate in sorted(candidates, key=lambda c: c.last_activity_at, reverse=True):
        if candidate.status.lower() not in OPEN_STATUSES:
            continue
        tie = _tie(result, candidate, threshold, sender)
        if tie is None:
            continue
        signs = read_signs(_own_words(text, subject, candidate), conversation(candidate.ticket_number), names)
        if signs.continuation_cue and signs.shared and not signs.other_matter:
            evidence = [*thread.evidence, f"{tie}; continues {candidate.ticket_number}: {signs.explain()}"]
            match = ThreadMatch(
                ticket_number=candidate.ticket_number,
                sure=False,
                signal="continuation",
                score=thread.score,
                evidence=evidence,
            )
            return settle_thread(match, result, [candidate], threshold, text, conversation, sender, subject, names)
    return thread


def _own_words(text: str, subject: str | None, candidate: ThreadCandidate) -> str:
    """The body, with the subject unless it is the ticket's own (a reused subject is no evidence of its own)."""
    if not subject or is_similar_subject(subject, candidate.subject):
        return text or ""
    return f"{subject}\n{text or ''}"


def _tie(result, candidate: ThreadCandidate, threshold: float, sender: str | None) -> str | None:
    if sender and sender.lower() in {p.lower() for p in candidate.participants}:
        return f"{sender} is a participant of {candidate.ticket_number}"
    if (
        result.unit
        and candidate.unit
        and result.confidence.get("unit", 0.0) >= threshold
        and (result.property, result.unit.lower()) == (candidate.property_id, candidate.unit.lower())
    ):
        return f"about unit {result.property} {result.unit}, like {candidate.ticket_number}"
    return None


def has_own_topic(result, threshold: float) -> bool:
    """Whether the classifier placed the message in a category with at least `threshold` confidence."""
    return result.category not in UNPLACED and result.confidence.get("category", 0.0) >= threshold


def _topic(result) -> str:
    return "/".join(p for p in (result.category, result.subcategory) if p)


def topic_difference(result, candidate: ThreadCandidate, threshold: float) -> str | None:
    """Which topic change the classifier is sure of (message vs ticket), or None."""
    if result.category in UNPLACED or candidate.category in UNPLACED:
        return None
    confidence = result.confidence
    if confidence.get("category", 0.0) < threshold:
        return None
    if result.category != candidate.category:
        return f"topic {candidate.category} → {result.category} ({confidence['category']:.2f})"
    if (
        result.subcategory
        and candidate.subcategory
        and result.subcategory != candidate.subcategory
        and confidence.get("subcategory", 0.0) >= threshold
    ):
        return (
            f"topic {candidate.category}/{candidate.subcategory} → {result.category}/{result.subcategory} "
            f"({confidence['subcategory']:.2f})"
        )
    return None


def unit_difference(result, candidate: ThreadCandidate, threshold: float) -> str | None:
    """Why another person's mail with a similar subject is about another home than the ticket; else None."""
    if not (result.unit and candidate.unit) or result.confidence.get("unit", 0.0) < threshold:
        return None
    if (result.property, result.unit.lower()) == (candidate.property_id, candidate.unit.lower()):
        return None
    return f"about unit {result.property} {result.unit}, {candidate.ticket_number} is about {candidate.property_id} {candidate.unit}"
