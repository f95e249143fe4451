"""Reading bounces that are plain text: who failed, and which message of ours came back.

Used by `bounces` for non-standard reports (qmail, Exim, Postfix without DSN, Exchange, Lotus Notes, webmail
providers) and to find the returned original (attached, headers-only, or pasted inline as text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_string
from email.message import Message

from intake.channels.email.charsets import decode_bytes
from intake.channels.email.headers import addresses, message_ids

# Lines that name the failed address by their layout: "<a@b>:" (qmail, Postfix), the address alone,
# "a@b... User unknown" (sendmail), "Recipient address: a@b" / "Original address:" (PMDF).
_RECIPIENT_LINE = re.compile(
    r"^\s*(?:<[^>\s]+@[^>\s]+>\s*:|[\"'<]?[^\s\"'<>]+@[^\s\"'<>]+[\"'>]?\s*(?:$|\.\.\.|:)|"
    r"(?:original |final )?(?:recipient|address|adresse|empfänger)[^:]{0,30}:\s*(?:rfc822;)?\s*<?[^\s>]+@)",
    re.I,
)
_RECIPIENT_START = re.compile(r"^\s*<?[^\s@<>]+@[^\s<>]+>?(\s|$)")
# A line that announces the failed addresses on the next line(s): "did not reach the following recipient(s):"
_ANNOUNCES = re.compile(
    r"(following (recipient|address)|address(es)? (to which|failed)|(delivered|reach) to:?|"
    r"your message to:|failed recipients|permanent fatal errors)[^.]{0,40}:?\s*-*\s*$",
    re.I,
)
_FAILURE_WORDS = re.compile(
    r"(user unknown|unknown user|no such (user|mailbox|address)|does not exist|doesn't exist|not exist|"
    r"mailbox (is )?(full|unavailable|not found)|quota|undeliverable|could not be delivered|"
    r"delivery (to the following|has failed|failed)|permanent(ly)? (error|fail)|recipient|rejected|"
    r"unrouteable|invalid|failed|disabled|inactive|not found|unknown|refused|denied|blocked|"
    r"host not found|not listed|error|unable|could not|couldn't|no longer|over quota|expired|"
    r"550|551|552|553|554|5\.\d\.\d|4\.\d\.\d)",
    re.I,
)
# Where a bounce pastes the returned original as text instead of attaching it.
_INLINE_ORIGINAL = re.compile(
    r"^.*(original message|returned message|message headers follow|copy of the message|copy of your message|"
    r"below this line|undelivered message|headers of the original|original message headers|"
    r"your message reads|text of the returned|the message header was|returned mail|"
    r"ursprüngliche nachricht|原始邮件|元のメッセージ).*$\n+",
    re.I | re.M,
)

ADDRESS = re.compile(r"[A-Za-z0-9._%+=&'/!#$^*{}|~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_HEADER_LINE = re.compile(r"^\s*(message-id|received|from|date|subject|reply-to|return-path|sender|x-[\w-]+)\s*:", re.I)
_SENDER_LOCALS = {
    "mailer-daemon",
    "postmaster",
    "mail-daemon",
    "double-bounce",
    "root",
    "abuse",
    "noreply",
    "no-reply",
    "bounce",
    "bounces",
    "nobody",
    "mailerdaemon",
}


def body_text(message: Message) -> str:
    """The report's own text parts (not the returned original), decoded; a broken multipart counts whole."""
    return "\n".join(decode_bytes(data, charset) for data, charset in report_text_parts(message))


def report_text_parts(message: Message) -> Iterator[tuple[bytes, str | None]]:
    """(bytes, declared charset) of each text part `body_text` reads, not yet decoded."""
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            return  # the returned original starts here
        if part.is_multipart() and isinstance(part.get_payload(), str):  # boundary missing: all one text
            yield part.get_payload().encode("utf-8", "surrogateescape"), None
        elif part.get_content_maintype() == "text" and part.get_content_type() != "text/rfc822-headers":
            yield part.get_payload(decode=True) or b"", part.get_content_charset()


def recipients_from_text(message: Message) -> list[str]:
    """Failed addresses from the bounce text: lines laid out as recipient lines first, then addresses near
    failure wording; the reporting system's own and the original sender's addresses are left out."""
    text = body_text(message)
    for marker in _INLINE_ORIGINAL.finditer(text):
        # The pasted original's headers name its sender and list, not the failed recipient.
        if marker.start() > 0 and re.match(r"\s*[>\s]*[\w-]+:\s", text[marker.end() : marker.end() + 200]):
            text = text[: marker.start()]
            break
    excluded = {a for _, a in addresses(message, "From")} | {a for _, a in addresses(message, "To")}
    original = original_headers(message)
    if original is not None:
        for header in ("From", "Sender", "Reply-To", "Return-Path"):
            excluded |= {a for _, a in addresses(original, header)}
        if original.get("List-Id") or original.get("List-Post"):
            excluded |= {a for _, a in addresses(original, "To")}
    lines = text.splitlines()
    by_layout: list[str] = []
    nearby: list[str] = []
    for index, line in enumerate(lines):
        if _HEADER_LINE.match(line):
            continue
        candidates = ADDRESS.findall(line)
        if not candidates:
            continue
        window = " ".join(lines[max(0, index - 3) : index + 4])
        announced = any(_ANNOUNCES.search(previous) for previous in lines[max(0, index - 2) : index])
        if _RECIPIENT_LINE.match(line) or (announced and (line[:1] in " \t<" or _RECIPIENT_START.match(line))):
            target = by_layout
        else:
            target = nearby if _FAILURE_WORDS.search(window) else None
        if target is None:
            continue
        for address in candidates:
            address = _clean_address(address)
            local = address.split("@")[0]
            if (
                address
                and address not in excluded
                and local not in _SENDER_LOCALS
                and address not in target
                and not local.endswith(("-request", "-owner", "-bounces", "-admin"))
            ):
                target.append(address)
    return (by_layout or nearby)[:10]


def _clean_address(address: str) -> str:
    address = address.strip(".'\"").lower()
    return re.sub(r"^(smtp|rfc822|x400)[=:;]", "", address)


def original_headers(message: Message) -> Message | None:
    """The returned original's headers: attached (message/rfc822, text/rfc822-headers) or pasted as text."""
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return inner[0]
        if ctype == "text/rfc822-headers":
            return message_from_string(decode_bytes(part.get_payload(decode=True) or b""))
    text = body_text(message)
    for marker in _INLINE_ORIGINAL.finditer(text):
        block = text[marker.end() :].lstrip()
        headers = message_from_string(re.sub(r"^[ \t]+(?=[\w-]+:)", "", block, flags=re.M))
        if headers.get("Message-ID") or headers.get("To") or headers.get("Subject"):
            return headers
    return None


def original_message_id(message: Message) -> str | None:
    """The Message-ID of the mail that bounced (ours, if we sent it): from the returned original or its text."""
    original = original_headers(message)
    if original is not None and original.get("Message-ID"):
        ids = message_ids(str(original["Message-ID"]))
        if ids:
            return ids[0]
    own_id = str(message.get("Message-ID") or "")
    for part in message.walk():  # inline-returned originals: "Message-ID: <…>" somewhere in the text
        if part.get_content_maintype() in ("text", "message") and not part.is_multipart():
            data = part.get_payload(decode=True)
            text = decode_bytes(data) if isinstance(data, bytes) else str(part.get_payload())
            match = re.search(r"^\s*Message-ID:\s*(<[^>\s]+>)", text, re.I | re.M)
            if match and match.group(1) not in own_id:
                return match.group(1)
    return None


def original_recipients(message: Message) -> list[str]:
    """The To addresses of the returned original: the last resort for who bounced."""
    original = original_headers(message)
    if original is None:
        return []
    return [a for _, a in addresses(original, "To") if "@" in a][:10]
