"""Helpers shared by the chat channels (WhatsApp Cloud API, WAHA, QContact).

Two jobs: turn whatever a provider calls a sender into an E.164 phone number, and decide in the
"find thread" stage whether a chat message joins one of the sender's open tickets (the conversation
window) or opens a new one. Both are plain functions; the matcher explains itself through `ThreadMatch`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import phonenumbers

from intake.core.errors import SenderError
from intake.core.models import InboundMessage, RawInput, ThreadCandidate, ThreadMatch


class PayloadError(SenderError, ValueError):
    """A webhook body or polled record that cannot be split into items; the text names the problem."""


@dataclass(frozen=True)
class Rejected:
    """One item of an otherwise good payload that cannot be taken: kept in quarantine with the reason."""

    channel_id: str | None
    reason: str
    payload: bytes


@dataclass
class Split:
    """What one webhook body or poll page holds: items to store, items to quarantine, events we ignore."""

    items: list[RawInput] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # e.g. "account_update": events that are not messages


DEFAULT_JSON_MAX_DEPTH = 64  # as `limits.json_max_depth`; provider payloads nest about 8 deep
# Brackets, and the quote that opens a string (whose brackets do not count): a string is then skipped to its
# closing quote in one possessive match, so no position is scanned twice (a regex for whole strings restarted
# at every quote of an unterminated `"\"\"…` and took 38 s for 80 KB).
_BRACKET_OR_QUOTE = re.compile(r'[\[\]{}"]')
_STRING_REST = re.compile(r'[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)


def load_json_object(raw: bytes, max_depth: int = DEFAULT_JSON_MAX_DEPTH) -> dict:
    """The body as a JSON object, or PayloadError saying why not (encoding, syntax, top-level type, nesting).

    Nesting deeper than `max_depth` is refused before parsing: the parser (and every later `json.dumps`
    of the item) would otherwise end in a RecursionError, which is no reason a sender can act on."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"body is not UTF-8 (byte {exc.start})") from None
    depth = json_depth(text, max_depth)
    if depth > max_depth:
        raise PayloadError(f"JSON nested more than {max_depth} levels deep (limits.json_max_depth)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(data, dict):
        raise PayloadError(f"expected a JSON object, got {type(data).__name__}")
    return data


def json_depth(text: str, stop_after: int) -> int:
    """How deep arrays and objects nest in JSON `text` (counting stops once past `stop_after`)."""
    if text.count("[") + text.count("{") <= stop_after:  # cannot nest deeper than it has openers: no scan
        return 0
    depth = deepest = position = 0
    while match := _BRACKET_OR_QUOTE.search(text, position):
        token, position = match.group(), match.end()
        if token == '"':
            rest = _STRING_REST.match(text, position)
            if rest is None:  # an unterminated string: the parser reports the syntax error
                break
            position = rest.end()
        elif token == "[" or token == "{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_after:
                    break
        elif token == "]" or token == "}":
            depth -= 1
    return deepest


_TYPE_LABELS = {str: "a string", dict: "an object", list: "a list", bool: "true or false"}


def type_problem(value: object, spec: object, where: str) -> str | None:
    """The first field of `value` whose JSON type differs from `spec`, named with its path, or None.

    `spec` is a type (or tuple of types) for a scalar, a dict of field specs for an object, and a one-item
    list `[spec]` for a list of such items. Absent (or null) fields are fine: only present ones are checked."""
    if value is None:
        return None
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return _wrong(where, dict, value)
        for name, inner in spec.items():
            problem = type_problem(value.get(name), inner, f"{where}.{name}" if where else name)
            if problem:
                return problem
        return None
    if isinstance(spec, list):
        if not isinstance(value, list):
            return _wrong(where, list, value)
        for index, item in enumerate(value):
            problem = type_problem(item, spec[0], f"{where}[{index}]")
            if problem:
                return problem
        return None
    kinds = spec if isinstance(spec, tuple) else (spec,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        return _wrong(where, kinds, value)
    return None


def _wrong(where: str, kinds: tuple | type, value: object) -> str:
    labels = [_TYPE_LABELS.get(kind, "a number") for kind in (kinds if isinstance(kinds, tuple) else (kinds,))]
    return f"field '{where}' must be {' or '.join(dict.fromkeys(labels))}, got {type(value).__name__}"


def envelope_bytes(envelope: dict) -> bytes:
    """The stored form of one split item: compact UTF-8 JSON (the original body stays the signed one)."""
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def normalize_phone(value: str | None, default_region: str = "US", *, international: bool = False) -> str | None:
    """E.164 form of a phone number, else None.

    `international=True` for provider ids (WhatsApp `wa_id`, WAHA `1650…@c.us`): digits that always start
    with the country code, without '+'. Otherwise the text is read as a person typed it ('(555) 010-0101',
    '07700 900123') in `default_region`, falling back to reading the digits as international. Possible
    (not necessarily assigned) numbers are accepted, so that test ranges such as 555 work.
    """
    if not value:
        return None
    text = str(value).strip()
    if "@" in text:
        text, domain = text.split("@", 1)
        if domain not in {"c.us", "s.whatsapp.net"}:  # groups (@g.us), linked ids (@lid) are not phones
            return None
        international = True
    text = text.split(":", 1)[0]  # multi-device suffix: 15551234567:12@s.whatsapp.net
    digits = re.sub(r"[^\d+]", "", text)
    if not re.fullmatch(r"\+?\d{6,17}", digits):
        return None
    if digits.startswith("+"):
        attempts = [(digits, None)]
    elif international:
        attempts = [("+" + digits, None)]
    else:
        attempts = [(text, default_region), ("+" + digits, None)]
    for candidate, region in attempts:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


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
_FOLLOW_UP = re.compile(  # see `_reads_as_follow_up`: these, or any continuation cue of the six languages
    r"\b(still|again|same|any\s+update|update\s+on|not\s+fixed|came\s+back|sigue|todav[ií]a|mismo|misma"
    r"|otra\s+vez|de\s+nuevo|immer\s+noch|wieder|gleiche[nr]?)\b",
    re.IGNORECASE,
)
# Just enough vocabulary to notice "a different problem after a long pause"; the real classifier runs later.
_TOPICS: dict[str, tuple[str, ...]] = {
    "plumbing": (
        "leak",
        "sink",
        "tap",
        "faucet",
        "toilet",
        "drain",
        "pipe",
        "water",
        "shower",
        "fuga",
        "agua",
        "grifo",
        "inodoro",
        "tubería",
        "wasser",
        "geyser",
    ),
    "hvac": (
        "heat",
        "heating",
        "boiler",
        "radiator",
        "furnace",
        "air con",
        "a/c",
        "calefacción",
        "calefaccion",
        "heizung",
    ),
    "electrical": ("power", "electric", "outlet", "socket", "light", "breaker", "fuse", "luz", "enchufe", "strom"),
    "appliance": ("fridge", "oven", "stove", "washer", "dryer", "dishwasher", "microwave", "nevera", "horno"),
    "pest": ("mice", "mouse", "rat", "cockroach", "roach", "bugs", "ants", "ratones", "cucarachas"),
    "security": ("lock", "key", "locked out", "intercom", "llave", "cerradura"),
    "noise": ("noise", "loud", "party", "ruido"),
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
    if message.external_ticket_id:
        for candidate in candidates:
            if candidate.external_ticket_id == message.external_ticket_id:
                return ThreadMatch(
                    ticket_number=candidate.ticket_number,
                    sure=True,
                    signal="external-ticket-id",
                    score=1.0,
                    evidence=[f"provider ticket id {message.external_ticket_id}"],
                )
        # A provider case (QContact) is its own ticket: it never joins a conversation by time alone.
        return ThreadMatch(
            signal="external-ticket-id",
            evidence=[f"provider ticket {message.external_ticket_id} has no ticket here yet"],
        )
    quoted = message.thread.reply_to_channel_id
    if quoted:
        for candidate in candidates:
            if quoted in candidate.channel_message_ids:
                return ThreadMatch(
                    ticket_number=candidate.ticket_number,
                    sure=True,
                    signal="reply-context",
                    score=1.0,
                    evidence=[f"replies to message {quoted} on {candidate.ticket_number}"],
                )
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
    return ThreadMatch(
        ticket_number=latest.ticket_number,
        sure=True,
        signal="conversation-window",
        score=0.9,
        evidence=[f"{_minutes(pause)} after the last message on {latest.ticket_number} (window {_hours(window)})"],
    )


def _reads_as_follow_up(text: str | None) -> bool:
    """A follow-up word ("still", "same") or a continuation cue in any of the six languages ("de novo", "il
    tecnico", "any update"; intake/pipeline/continuation.py)."""
    from intake.pipeline.continuation import says_continues

    return bool(_FOLLOW_UP.search(text or "") or says_continues(text or ""))


def _same_topic(new_topic: str, old: str) -> bool:
    # A ticket's category may be a classifier subcategory ("plumbing") or a broader word containing it.
    return new_topic in old.lower() or old.lower() in new_topic


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f} h"


def _minutes(delta: timedelta) -> str:
    return f"{max(delta.total_seconds(), 0) / 60:.0f} min"
