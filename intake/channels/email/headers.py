"""Header decoding that survives real mail: RFC 2047 words in odd charsets, raw 8-bit headers, bad dates.

Used by `channel` after mail-parser has split the message. Raw 8-bit header bytes are decoded as UTF-8, else
with the message's declared charset, else by charset-normalizer's guess (see `charsets`).
"""

from __future__ import annotations

import bisect
import re
from datetime import UTC, datetime
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from intake.channels.email.charsets import codec_for, decode_bytes

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*(?:\?(?![=])[^?]*)*?)\?=")
_MSGID = re.compile(r"<[^<>\s]+>")
MAX_MESSAGE_ID = 998
ADDRESS_HEADER_MAX_CHARS = 16 * 1024  # as `limits.address_header_max_chars`: hundreds of addresses fit
_DATE = re.compile(
    r"^\s*(?:[A-Za-z]{3},?\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\s*(?:[+-]\d{4}|(?:UT|GMT|[ECMP][SD]T|Z)(?![A-Za-z])))?"
)


def raw_header(msg: Message, name: str) -> str | None:
    """The first header of that name as written (8-bit bytes still surrogate-escaped), or None."""
    return next(iter(raw_headers(msg, name)), None)


def raw_headers(msg: Message, name: str) -> list[str]:
    wanted = name.lower()
    return [str(value) for key, value in msg.raw_items() if key.lower() == wanted]


def body_charset(msg: Message) -> str | None:
    """The charset to read raw 8-bit header bytes with: a multi-byte one (CJK, Cyrillic…) declared by any part
    wins over the single-byte labels mailers put on the top level out of habit."""
    try:
        declared = [c for c in msg.get_charsets() if c]
    except Exception:  # a malformed Content-Type parameter
        return None
    single_byte = ("iso-8859", "windows-125", "us-ascii", "ascii", "cp125", "latin")
    return next((c for c in declared if not c.lower().startswith(single_byte)), declared[0] if declared else None)


def header_text(msg: Message, name: str) -> str:
    """One header as text: encoded words decoded, raw 8-bit bytes recovered, folding removed."""
    value = raw_header(msg, name)
    if value is None:
        return ""
    return decode_header_value(value, body_charset(msg) if _has_raw_8bit(value) else None)


def decode_header_value(value: str, fallback_charset: str | None = None) -> str:
    """A header value as one line of text: never a CR, LF or other control character, whatever was encoded."""
    value = _recover_8bit(value, fallback_charset)
    value = re.sub(r"\r?\n(?=[ \t])", "", value)
    if "=?" in value:
        # Adjacent encoded words separated only by whitespace are joined without it (RFC 2047 §6.2).
        value = re.sub(r"(\?=)\s+(?==\?)", r"\1", value)
        value = _ENCODED_WORD.sub(lambda m: _decode_word(m.group(1), m.group(2), m.group(3)) or m.group(0), value)
    return one_line(value)


_LINE_BREAKS_AND_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]+")


def one_line(text: str) -> str:
    """Control characters (CR and LF above all) as a single space: an encoded `=0D=0ABcc:` in a name or
    Subject must not become a header line of its own when a reply reuses the value."""
    return _LINE_BREAKS_AND_CONTROLS.sub(" ", text) if not text.isprintable() else text


def _decode_word(charset: str, encoding: str, text: str) -> str | None:
    charset = charset.split("*", 1)[0]  # RFC 2231 language suffix
    try:
        raw = decode_header(f"=?{charset}?{encoding}?{text}?=")[0][0]
    except Exception:  # malformed base64 / QP: keep the word as written
        return None
    if isinstance(raw, str):
        return one_line(raw)
    codec = codec_for(charset)
    try:
        return one_line(raw.decode(codec or "utf-8"))
    except (UnicodeDecodeError, LookupError):
        return one_line(decode_bytes(raw, None))


def _has_raw_8bit(value: str) -> bool:
    """Whether the header holds undecoded 8-bit bytes (surrogate escapes): only then is a charset guessed."""
    return not value.isascii() and any("\udc80" <= ch <= "\udcff" for ch in value)


def _recover_8bit(value: str, fallback_charset: str | None) -> str:
    if not _has_raw_8bit(value):
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"), fallback_charset)


def addresses(msg: Message, name: str, max_chars: int = ADDRESS_HEADER_MAX_CHARS) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address header, names decoded, addresses lower-cased.

    Each header is read up to `max_chars` only (cut at the last comma before it): a megabyte From header
    is an attack or a broken mailer, and parsing it whole costs more than the addresses are worth.
    """
    values = raw_headers(msg, name)
    pairs: list[tuple[str, str]] = []
    for raw in values:
        raw = _capped(str(raw), max_chars)
        raw = _recover_8bit(raw, body_charset(msg)) if _has_raw_8bit(raw) else raw
        raw = re.sub(r"\r?\n(?=[ \t])", "", raw)
        for display, address in getaddresses([_protect_encoded_words(raw)]):
            display = decode_header_value(display).strip().strip('"').strip()
            address = decode_header_value(address).strip().strip('"').lower()
            if address or display:
                pairs.append((display, address))
    return pairs


def _capped(raw: str, max_chars: int) -> str:
    if len(raw) <= max_chars:
        return raw
    cut = raw.rfind(",", 0, max_chars)
    return raw[:cut] if cut > 0 else raw[:max_chars]


def _protect_encoded_words(raw: str) -> str:
    """Decode encoded words that sit in display names before address parsing; leave those inside addr-specs.

    An encoded word glued to '@' (`=?utf-8?Q?attacker?=@victim`) is not allowed by RFC 2047 and is kept raw,
    so a spoofed display cannot become the address.
    """
    raw = re.sub(r"(\?=)\s+(?==\?)", r"\1", raw)
    quotes = [q.start() for q in _UNESCAPED_QUOTE.finditer(raw)]  # found once: a re-scan per word is quadratic

    def decoded(m: re.Match) -> str:
        if raw[m.end() : m.end() + 1] == "@":
            return m.group(0)
        text = _decode_word(m.group(1), m.group(2), m.group(3)) or m.group(0)
        # Inside a quoted string (not allowed by RFC 2047, common all the same) it is escaped, not re-quoted:
        # `"=?…?=" <a@b>` must keep `a@b` as the address whatever the name decodes to.
        return _escape(text) if _is_quoted(quotes, m.start()) else _quote(text)

    return _ENCODED_WORD.sub(decoded, raw)


_UNESCAPED_QUOTE = re.compile(r'(?<!\\)"')


def _is_quoted(quotes: list[int], position: int) -> bool:
    """Whether `position` lies inside a quoted string: an odd number of the unescaped quotes (their sorted
    offsets) lie before it."""
    return bisect.bisect_left(quotes, position) % 2 == 1


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _quote(text: str) -> str:
    if re.search(r'[(),.:;<>@\[\]"\\]', text):
        return '"' + _escape(text) + '"'
    return text


_HEADER_LINE = re.compile(rb"^(?:[!-9;-~]+:|From )")


def repair_header_block(raw: bytes) -> bytes:
    """Mend header blocks that stop the parser early: junk lines before the first header, and folded lines
    that lost their leading whitespace (both seen in real mail) are joined as continuations."""
    match = re.search(rb"\r?\n\r?\n", raw)
    head, body = (raw[: match.start()], raw[match.start() :]) if match else (raw, b"")
    lines = head.split(b"\n")
    start = 0
    while start < len(lines) and start < 5 and not _HEADER_LINE.match(lines[start]):
        start += 1
    if start == len(lines) or start == 5:
        return raw
    fixed = [
        line if _HEADER_LINE.match(line) or line[:1] in (b" ", b"\t") or not line.strip(b"\r") else b" " + line
        for line in lines[start:]
    ]
    if start == 0 and fixed == lines:
        return raw
    return b"\n".join(fixed) + body


def message_ids(value: str) -> list[str]:
    """Message-IDs in a References / In-Reply-To value, in order, without duplicates."""
    seen: list[str] = []
    for mid in _MSGID.findall(value or ""):
        if len(mid) > MAX_MESSAGE_ID:  # no real id is this long, and the store's columns hold 998
            continue
        if mid not in seen:
            seen.append(mid)
    if (
        not seen
        and value
        and value.strip()
        and "@" in value
        and " " not in value.strip()
        and len(value.strip()) < MAX_MESSAGE_ID
    ):
        seen.append(f"<{value.strip().strip('<>')}>")
    return seen


def parse_date(value: str) -> datetime | None:
    """The Date header as an aware datetime; None when it is missing or unreadable."""
    if not value:
        return None
    value = value.split("\n")[0].strip()
    candidates = [value, re.sub(r"\s*\(.*\)\s*$", "", value), re.sub(r"^\w+,?\s*", "", value)]
    strict = _DATE.match(value)  # a date with something glued after it ("…+0200Received: from …")
    if strict:
        candidates.insert(0, strict.group(0))
    for candidate in candidates:
        try:
            parsed = parsedate_to_datetime(candidate)
        except (TypeError, ValueError, IndexError):
            continue
        if parsed is None:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None
