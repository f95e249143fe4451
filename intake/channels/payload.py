"""The edge of the push channels: a webhook body (or a saved payload file) → raw items, or a reason it is not.

Every splitter returns a `Split` (items to store, items to quarantine with a reason, events ignored) or raises
`PayloadError` for a body it cannot use at all. `split_or_reject` is the one way webhooks and `intake ingest`
call a splitter: any other error of the kinds below means a shape the splitter did not foresee (a lone
surrogate in a text field ends in UnicodeEncodeError, a list where an object was expected in TypeError…).
That is still the sender's body, not our failure: it is rejected the same way, so a webhook answers 400 and
keeps it, and `intake ingest` quarantines the file and goes on with the next.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from intake.core.clean import has_control_characters
from intake.core.errors import SenderError
from intake.core.models import ChannelName, RawInput
from intake.logs import describe_error

log = logging.getLogger(__name__)
MAX_CHANNEL_ID = 998  # as RawInput.channel_id and the raw_items column
DEFAULT_JSON_MAX_DEPTH = 64  # as `limits.json_max_depth`; provider payloads nest about 8 deep
UNFORESEEN_SHAPE_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ValueError)  # incl. Unicode errors


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

    def reject(self, channel_id: str | None, reason: str, payload: bytes) -> None:
        """Keep one item for quarantine, with the reason."""
        self.rejected.append(Rejected(channel_id, reason, payload))


def split_or_reject(split: Callable[[bytes], Split], raw: bytes, channel: ChannelName) -> Split:
    """`split(raw)`, with an unforeseen shape turned into PayloadError("malformed payload (…Error)"); the
    reason names the exception, never the payload."""
    try:
        return split(raw)
    except PayloadError:
        raise
    except UNFORESEEN_SHAPE_ERRORS as exc:
        log.warning("%s payload: unexpected shape: %s", channel.value, describe_error(exc))
        raise PayloadError(f"malformed payload ({type(exc).__name__})") from None


def items_or_raise(split: Split) -> list[RawInput]:
    """The items of a split that must be wholly good (tests, tools): PayloadError naming every rejected item."""
    if split.rejected:
        raise PayloadError("; ".join(item.reason for item in split.rejected))
    return split.items


def json_item(channel: ChannelName, channel_id: str, payload: bytes, source: str) -> RawInput:
    """The raw item for one split-off JSON envelope."""
    return RawInput(
        channel=channel, channel_id=channel_id, payload=payload, content_type="application/json", source=source
    )


def shape_problem(item: dict, checks: Iterable[tuple[Iterable[str], type]], where: str = "") -> str | None:
    """The first optional field of `item` (checked in order) that is present with another JSON type than its
    check's (`(("context", "referral"), dict)`), named with `where` before it; None when all fit."""
    for names, kind in checks:
        for name in names:
            if item.get(name) is not None and not isinstance(item[name], kind):
                return f"field '{where}{name}' must be {_TYPE_LABELS[kind]}, got {type(item[name]).__name__}"
    return None


def rejected_key(payload: bytes) -> str:
    """The channel id a rejected body or item is quarantined under: its content hash, so that the same bad
    payload, redelivered by the provider or ingested again from a file, is kept once."""
    return "rejected:sha256:" + hashlib.sha256(payload).hexdigest()


def rejected_raw(
    channel: ChannelName, channel_id: str | None, payload: bytes, source: str, content_type: str = "application/json"
) -> RawInput:
    """A raw input for quarantine; without a usable channel id the content hash keeps redeliveries deduplicated."""
    usable = channel_id and len(channel_id) <= MAX_CHANNEL_ID and not has_control_characters(channel_id)
    key = channel_id if channel_id and usable else rejected_key(payload)
    return RawInput(channel=channel, channel_id=key, payload=payload, content_type=content_type, source=source)


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
