"""RFC 5322 bytes → `InboundMessage` fields: the core of the email parse stage.

The stdlib parser builds the MIME tree; mail-parser reports the defects of a broken one and recovers the
attachments it hid. Our own walk (`parts`) decodes bodies with charset repair and keeps attachment bytes exact
for hashing (mail-parser decodes text with errors="ignore" and re-encodes payloads).
`channel` adds the automatic-mail verdict (`auto`) and shapes the result into an `InboundMessage`.
"""

from __future__ import annotations

import base64
import email
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.message import Message

import mailparser

from intake.channels.base import ParseError
from intake.channels.email.headers import (
    ADDRESS_HEADER_MAX_CHARS,
    addresses,
    header_text,
    message_ids,
    parse_date,
    raw_headers,
    repair_header_block,
)
from intake.channels.email.html import html_to_text
from intake.channels.email.parts import Part, Parts, split_parts, to_refs
from intake.channels.email.quotes import extract_new_text
from intake.core.models import AttachmentRef, ThreadHints
from intake.core.settings import LimitsSettings

TICKET_REFERENCE = re.compile(r"\b((?:EML|WA|QC|INT)-\d{6})\b")
FORWARDED_MARK = "---------- Forwarded message ----------"
# An inline forward below the sender's words is the request (a neighbour's report), not history: kept.
PRODUCTION_KEEP_FORWARDED = True
_MAIL_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "sender",
    "received",
    "return-path",
    "mime-version",
    "content-type",
}
# mail-parser logs every DSN part ("Email content 'x' not handled") and every undecodable header word at
# WARNING/ERROR; we decode those ourselves and record MIME defects on the message, so it is only noise.
logging.getLogger("mailparser").setLevel(logging.CRITICAL)
_LOOSE_ADDRESS = re.compile(r"[^\s<>\"',;]+@[^\s<>\"',;]+")


@dataclass
class ParsedEmail:
    """What the channel needs from one mail, before it is shaped into an `InboundMessage`."""

    message: Message
    sender: str
    sender_name: str | None
    to: list[str]
    cc: list[str]
    subject: str
    text: str
    full_text: str
    html: str | None
    parts: Parts
    thread: ThreadHints
    defects: list[str]


def load_message(raw: bytes) -> Message:
    """The MIME tree of raw mail bytes; `ParseError` when the bytes are not a mail at all."""
    return _load(raw)[0]


def recover_attachments(parts: Parts, found: list[dict]) -> None:
    """Add attachments that only mail-parser's epilogue recovery saw (a multipart reusing its parent's
    boundary hides them from the MIME tree); their bytes come back from its base64 payload."""
    if len(found) <= len(parts.attachments):
        return
    known = {part.data for part in parts.attachments}
    for item in found:
        name = item.get("filename") or ""
        if not name or not item.get("binary"):
            continue
        try:
            data = base64.b64decode(item.get("payload") or "")
        except ValueError:
            continue
        if data in known:
            continue
        parts.attachments.append(
            Part(
                name=name,
                content_type=item.get("mail_content_type") or "application/octet-stream",
                data=data,
                content_id=(item.get("content-id") or "").strip("<> ") or None,
                note="recovered from a malformed MIME structure",
            )
        )


def _load(raw: bytes) -> tuple[Message, list[str], list[dict]]:
    """(message, MIME defect names, mail-parser's attachment list).

    The stdlib parser builds the tree (as mail-parser itself does); mail-parser's full pass, which decodes
    every part again, runs only when the tree reports defects: that is where its defect detail and its
    epilogue recovery of hidden attachments matter. A mail-parser failure on such a mail (2 of sisimai's
    SendGrid bounces) keeps the stdlib tree, so that a library bug never quarantines mail.
    """
    if not raw or not raw.strip():
        raise ParseError("empty message")
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParseError("an Outlook .msg (OLE) file, not RFC 5322 mail")
    raw = repair_header_block(raw)
    try:
        message = email.message_from_bytes(raw)
        defects = sorted({type(defect).__name__ for part in message.walk() for defect in part.defects})
    except Exception as exc:  # RecursionError on absurd nesting, among others
        raise ParseError(f"cannot parse the MIME structure: {type(exc).__name__}: {exc}") from None
    found: list[dict] = []
    if defects:
        try:
            parsed = mailparser.MailParser(message)
            defects, found = sorted(set(defects) | parsed.defects_categories), parsed.attachments
        except Exception:
            defects = [*defects, "mail-parser-failed"]
    if not message.keys() or not any(k.lower() in _MAIL_HEADERS for k in message.keys()):
        raise ParseError("no mail headers found (not an RFC 5322 message)")
    return message, defects, found


def _split(message: Message, defects: list[str], found: list[dict]) -> Parts:
    parts = split_parts(message)
    if defects:
        recover_attachments(parts, found)
    return parts


def parse_email(raw: bytes, address_header_max_chars: int = ADDRESS_HEADER_MAX_CHARS) -> ParsedEmail:
    """Headers, bodies, attachments and thread hints of one mail; address headers are read up to
    `address_header_max_chars` (`limits.address_header_max_chars`)."""
    cap = address_header_max_chars
    message, defects, found = _load(raw)
    sender_name, sender = _sender(message, cap)
    if not sender:
        raise ParseError(
            "no sender address in From, Sender, Reply-To or Return-Path"
            + (f" (From read up to limits.address_header_max_chars = {cap:,})" if _from_was_cut(message, cap) else "")
        )
    parts = _split(message, defects, found)
    plain = "\n\n".join(t for t in parts.plain if t.strip())
    html = "\n".join(parts.html) if parts.html else None
    full_text = _readable_text(plain, html)
    forwarded = "" if message.get_content_type() == "multipart/report" else forwarded_text(parts)
    if forwarded:  # "forward as attachment": the attached mail is what the sender wants us to read
        full_text = f"{full_text}\n\n{forwarded}".strip()
    subject = header_text(message, "Subject")
    thread = ThreadHints(
        message_id=(message_ids(header_text(message, "Message-ID")) or [None])[0],
        in_reply_to=message_ids(header_text(message, "In-Reply-To")),
        references=message_ids(header_text(message, "References")),
        ticket_reference=find_ticket_reference(subject, full_text),
    )
    return ParsedEmail(
        message=message,
        sender=sender,
        sender_name=sender_name or None,
        to=[a for _, a in addresses(message, "To", cap) if "@" in a],
        cc=[a for _, a in addresses(message, "Cc", cap) if "@" in a],
        subject=subject,
        text=_new_text(plain, html, forwarded),
        full_text=full_text,
        html=html,
        parts=parts,
        thread=thread,
        defects=defects,
    )


def _new_text(plain: str, html: str | None, forwarded: str) -> str:
    own = extract_new_text(plain, html, keep_forwarded=PRODUCTION_KEEP_FORWARDED) if (plain.strip() or html) else ""
    return f"{own}\n\n{forwarded}".strip() if forwarded else own


def forwarded_text(parts: Parts) -> str:
    """Attached mails (message/rfc822) as readable blocks: who wrote them, when, the subject and the text."""
    blocks = []
    for attached in parts.attached_messages[:5]:
        inner = split_parts(attached)
        body = _readable_text("\n\n".join(t for t in inner.plain if t.strip()), "\n".join(inner.html) or None)
        head = [
            f"{name}: {header_text(attached, name).strip()}"
            for name in ("From", "Date", "Subject", "To")
            if header_text(attached, name).strip()
        ]
        blocks.append("\n".join([FORWARDED_MARK, *head, "", body.strip()]))
    return "\n\n".join(blocks)


def _readable_text(plain: str, html: str | None) -> str:
    """The plain part, unless it is missing or a stub ("view this mail in a browser") next to a real HTML part."""
    plain = plain.strip()
    if not html:
        return plain
    if plain and len(plain) >= 200:
        return plain
    html_text = html_to_text(html)
    return html_text if len(html_text) > 3 * len(plain) + 20 else plain or html_text


def _from_was_cut(message: Message, cap: int) -> bool:
    return any(len(value) > cap for value in raw_headers(message, "From"))


def _sender(message: Message, cap: int) -> tuple[str, str]:
    for header in ("From", "Sender", "Reply-To", "Return-Path"):
        found = addresses(message, header, cap)
        for name, address in found:
            if "@" in address:
                return name, address
        raw = header_text(message, header)[:cap]  # the loose search restarts at every character: bounded
        loose = _LOOSE_ADDRESS.search(raw)
        if loose:  # unquoted display names with spaces, addresses in quotes…
            name = found[0][0] if found and found[0][0] and "@" not in found[0][0] else ""
            return name, loose.group(0).strip(".").lower()
    # "From: MAILER-DAEMON": a local name is all there is (not in a From header cut short: a fragment is no name)
    for name, address in [] if _from_was_cut(message, cap) else addresses(message, "From", cap):
        if address:
            return name, address
        if name and " " not in name.strip():
            return "", name.strip().lower()
    null_sender = header_text(message, "Return-Path").strip() == "<>" or header_text(message, "From").strip() == "<>"
    if null_sender or "multipart/report" == message.get_content_type():
        return "Mail Delivery System", "mailer-daemon"  # RFC 5321 null sender: a delivery report
    return "", ""


def find_ticket_reference(subject: str, body: str) -> str | None:
    """Our ticket number (`EML-000123`…) from the subject, else from the body's first lines."""
    for source in (subject or "", "\n".join((body or "").splitlines()[:200])):
        match = TICKET_REFERENCE.search(source)
        if match:
            return match.group(1)
    return None


def sent_at(message: Message) -> datetime | None:
    """When the sender says the mail was written (the Date header), or None when unreadable."""
    return parse_date(header_text(message, "Date"))


def iter_attachment_payloads(
    raw_bytes: bytes, limits: LimitsSettings | None = None
) -> Iterator[tuple[AttachmentRef, bytes]]:
    """Every attachment of a mail with its exact bytes (nothing is unpacked), limits applied as in `parse`.

    The store saves the `stored` ones content-addressed by `ref.sha256`; the others carry the reason.
    """
    limits = limits or LimitsSettings()
    parts = _split(*_load(raw_bytes))
    yield from to_refs(parts.attachments, limits.attachment_max_bytes, limits.message_attachments_max_bytes)


__all__ = ["ParsedEmail", "find_ticket_reference", "iter_attachment_payloads", "parse_email", "load_message", "sent_at"]
