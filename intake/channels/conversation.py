"""Which of the sender's open tickets a chat message joins: the conversation window (WhatsApp, WAHA, QContact).

Runs in the pipeline's thread stage for every channel without mail headers to score (see `BaseChannel`). A
provider's own case id decides first, then a quoted message, then time: inside the window a message joins the
sender's latest ticket unless it announces a different problem; outside it, one that reads like a follow-up is
a probable follow-up only. The matcher explains itself through `ThreadMatch`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from intake.core.models import InboundMessage, ThreadCandidate, ThreadMatch

# Openings that announce a different problem. A strong cue says so outright ("another problem", "new issue");
# a weak one ("also", "something else", "también") just as often adds to the open problem ("Also, it's still
# leaking"), so it only counts together with a different topic (see `new_issue_reason`).
_GREETING = r"^\W*(?:(?:hi|hello|hey|hola|buenas|hallo)\b\W*)?"
_STRONG_CUE = re.compile(
    _GREETING
    + r"""(?:
        (?:i\s+have\s+)?(?:another|a\s+new|one\s+more|a\s+different|a\s+separate|new|different|separate)
            \s+(?:problem|issue|request|thing|question|matter)
        |otro\s+problema|otra\s+cosa|otro\s+asunto|nuevo\s+problema|tengo\s+otro
        |noch\s+ein|ein\s+anderes|neues\s+problem|autre\s+problème|un\s+autre)""",
    re.IGNORECASE | re.VERBOSE,
)
_WEAK_CUE = re.compile(
    _GREETING + r"(?:(?:and\s+)?also\b|something\s+else|también|tambien|además|ademas)", re.IGNORECASE
)
# The continuation cues are intake/channels/continuation.py's (see `_reads_as_follow_up`); a chat message also
# reads as a follow-up with a bare "same" (continuation.py wants "same problem"), and with its phrases broken
# over a line or by extra spaces (continuation.py spells them with one space).
_FOLLOW_UP = re.compile(
    r"\b(same|mismo|misma|gleiche[nr]?|not\s+fixed|came\s+back|otra\s+vez|de\s+nuevo|immer\s+noch)\b", re.IGNORECASE
)
# Just enough vocabulary to notice "a different problem after a long pause"; the real classifier runs later.
_TOPICS: dict[str, tuple[str, ...]] = {
    topic: tuple(words.split(","))
    for topic, words in {
        "plumbing": "leak,sink,tap,faucet,toilet,drain,pipe,water,shower,fuga,agua,grifo,inodoro,tubería,wasser,geyser",
        "hvac": "heat,heating,boiler,radiator,furnace,air con,a/c,calefacción,calefaccion,heizung",
        "electrical": "power,electric,outlet,socket,light,breaker,fuse,luz,enchufe,strom",
        "appliance": "fridge,oven,stove,washer,dryer,dishwasher,microwave,nevera,horno",
        "pest": "mice,mouse,rat,cockroach,roach,bugs,ants,ratones,cucarachas",
        "security": "lock,key,locked out,intercom,llave,cerradura",
        "noise": "noise,loud,party,ruido",
    }.items()
}


def starts_new_issue(text: str) -> bool:
    """Whether the text opens with a new-issue cue, strong or weak (a cue alone does not open a ticket)."""
    return bool(_STRONG_CUE.match(text or "") or _WEAK_CUE.match(text or ""))


def new_issue_reason(text: str, open_topic: str | None) -> str | None:
    """Why `text` opens a new ticket although the sender's conversation is open, or None: it joins.

    Two conditions, both needed: a new-issue cue at the start, and nothing saying it is the same problem.
    A strong cue ("another problem: …") asserts a different problem itself, so only a follow-up word
    ("still", "again", "same") overrules it. A weak cue ("also", "something else") must come with a
    maintenance topic different from the open ticket's (both known); without that evidence the message
    joins, because a wrongly joined message is one click to split, a wrongly split one loses its context.
    """
    text = text or ""
    if _reads_as_follow_up(text):
        return None
    if _STRONG_CUE.match(text):
        return f"text starts a new issue: {text[:40]!r}"
    if _WEAK_CUE.match(text):
        new_topic = topic_of(text)
        if new_topic and open_topic and not _same_topic(new_topic, open_topic):
            return f"text adds something ({text[:40]!r}) about {new_topic}, the open ticket is about {open_topic}"
    return None


_TOPIC_PATTERNS = {  # whole words with common endings: "leaking" is plumbing, "tenants" is not pest ("ants")
    topic: re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")(?:s|es|er|ing|ed|y)?\b", re.IGNORECASE)
    for topic, words in _TOPICS.items()
}


def topic_of(text: str | None) -> str | None:
    """The single maintenance topic a text names, or None when it names none or several."""
    found = {topic for topic, pattern in _TOPIC_PATTERNS.items() if pattern.search(text or "")}
    return found.pop() if len(found) == 1 else None


def match_conversation(
    message: InboundMessage,
    candidates: list[ThreadCandidate],
    window: timedelta,
    now: datetime,
    long_pause: timedelta = timedelta(hours=4),
) -> ThreadMatch:
    """Which of the sender's open tickets a chat message joins, with the signal and evidence.

    Order of signals: the provider's own ticket id (a provider case never joins by time), a quoted message
    that lives on a ticket, then the conversation window around the most recent ticket without a provider
    case. Inside the window a message still opens a new ticket when it announces a different problem
    (`new_issue_reason`), or names a different problem after `long_pause` of silence.
    Outside it, a message that reads like a follow-up ("still leaking") is a probable follow-up only.
    """
    linked = _linked(message, candidates)
    if linked is not None:
        return linked
    candidates = [c for c in candidates if not c.external_ticket_id]  # those follow their provider's case
    if not candidates:
        return ThreadMatch(evidence=["no open conversation ticket for this sender"])
    latest = max(candidates, key=lambda c: c.last_inbound_at or c.last_activity_at)
    last_seen = latest.last_inbound_at or latest.last_activity_at
    pause = now - last_seen
    text = message.text or message.full_text
    if pause > window:
        if _reads_as_follow_up(text):
            evidence = (
                f"reads like a follow-up of {latest.ticket_number}, but {_hours(pause)} since its last "
                f"message (window {_hours(window)})"
            )
            return ThreadMatch(
                ticket_number=latest.ticket_number,
                sure=False,
                signal="conversation-window",
                score=0.5,
                evidence=[evidence],
            )
        return ThreadMatch(
            signal="conversation-window",
            evidence=[
                f"{_hours(pause)} since the last message on {latest.ticket_number}, "
                f"longer than the {_hours(window)} window"
            ],
        )
    old_topic = latest.subcategory or latest.category or topic_of(latest.subject)  # subcategory: "plumbing"
    reason = new_issue_reason(text, old_topic)
    if reason:
        return ThreadMatch(signal="new-issue-marker", evidence=[reason])
    if pause > long_pause and not _reads_as_follow_up(text):
        new_topic = topic_of(text)
        if new_topic and old_topic and not _same_topic(new_topic, old_topic):
            return ThreadMatch(
                signal="new-issue-topic",
                evidence=[
                    f"names {new_topic}, {latest.ticket_number} is about {old_topic}, after {_hours(pause)} of silence"
                ],
            )
    evidence = f"{_minutes(pause)} after the last message on {latest.ticket_number} (window {_hours(window)})"
    return _joins(latest, "conversation-window", evidence, score=0.9)


def _linked(message: InboundMessage, candidates: list[ThreadCandidate]) -> ThreadMatch | None:
    """What a link the message carries decides: the provider's case id, or a quoted message on a ticket."""
    if message.external_ticket_id:
        case = next((c for c in candidates if c.external_ticket_id == message.external_ticket_id), None)
        if case is not None:
            return _joins(case, "external-ticket-id", f"provider ticket {message.external_ticket_id}")
        # A provider case (QContact) is its own ticket: it never joins a conversation by time alone.
        return ThreadMatch(
            signal="external-ticket-id",
            evidence=[f"provider ticket {message.external_ticket_id} has no ticket here yet"],
        )
    quoted = message.thread.reply_to_channel_id
    on_ticket = next((c for c in candidates if quoted and quoted in c.channel_message_ids), None)
    if on_ticket is None:
        return None
    return _joins(on_ticket, "reply-context", f"replies to message {quoted} on {on_ticket.ticket_number}")


def _joins(candidate: ThreadCandidate, signal: str, evidence: str, score: float = 1.0) -> ThreadMatch:
    return ThreadMatch(
        ticket_number=candidate.ticket_number, sure=True, signal=signal, score=score, evidence=[evidence]
    )


def _reads_as_follow_up(text: str | None) -> bool:
    """A continuation cue in any of the six languages ("still", "de novo", "il tecnico", "any update";
    intake/channels/continuation.py), or one of chat's own (`_FOLLOW_UP`)."""
    # Here, not at the top: continuation reads through classifiers.lexicon, which loads spaCy (about 2 s); the
    # web process imports every channel but never threads a message.
    from intake.channels.continuation import says_continues

    return bool(_FOLLOW_UP.search(text or "") or says_continues(text or ""))


def _same_topic(new_topic: str, old: str) -> bool:
    # A ticket's category may be a classifier subcategory ("plumbing") or a broader word containing it.
    return new_topic in old.lower() or old.lower() in new_topic


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f} h"


def _minutes(delta: timedelta) -> str:
    return f"{max(delta.total_seconds(), 0) / 60:.0f} min"
