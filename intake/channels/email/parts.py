"""Walk a MIME tree into body texts and attachments (the bytes stay bytes; nothing is ever unpacked).

Used by `channel` (bodies + `AttachmentRef`s) and by `iter_attachment_payloads` (the store saves stored parts
content-addressed). Archives (zip, rar, 7z…) and Outlook's winmail.dat are recorded and hashed, never opened:
phishing mail carries archives, and nothing here needs their contents.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email.message import Message

from intake.channels.email.charsets import decode_bytes
from intake.channels.email.headers import body_charset, decode_header_value, header_text
from intake.core.models import AttachmentRef

_TNEF = ("application/ms-tnef", "application/vnd.ms-tnef")
_CONTAINER_NAMES = {
    "message/rfc822": "message.eml",
    "message/delivery-status": "delivery-status.txt",
    "text/rfc822-headers": "headers.txt",
    "message/feedback-report": "feedback-report.txt",
    "message/disposition-notification": "disposition-notification.txt",
}


@dataclass
class Part:
    """One leaf (or attached message) as a candidate attachment, with its decoded bytes."""

    name: str
    content_type: str
    data: bytes
    content_id: str | None = None
    inline: bool = False
    note: str | None = None


@dataclass
class Parts:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Part] = field(default_factory=list)
    attached_messages: list[Message] = field(default_factory=list)
    charset_hint: str | None = None  # for raw 8-bit bytes in file names


def split_parts(msg: Message) -> Parts:
    """Bodies (text/plain and text/html, decoded) and attachments of a message, in MIME order."""
    parts = Parts(charset_hint=body_charset(msg))
    _walk(msg, parts, in_alternative=False)
    return parts


def _walk(part: Message, parts: Parts, in_alternative: bool) -> None:
    ctype = content_type(part)
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        children = part.get_payload()
        if not isinstance(children, list):
            return
        if ctype == "multipart/alternative":
            _choose_alternative([c for c in children if isinstance(c, Message)], parts)
            return
        for child in children:
            if isinstance(child, Message):
                _walk(child, parts, False)
        return
    if part.get_content_maintype() == "multipart":  # boundary missing or reused: whatever is there is text
        leftover = part.get_payload()
        if isinstance(leftover, str) and leftover.strip():
            parts.plain.append(decode_bytes(leftover.encode("utf-8", "surrogateescape")).replace("\r\n", "\n"))
        return
    filename = _filename(part, parts.charset_hint)
    disposition = (part.get_content_disposition() or "").lower()
    if ctype in ("text/plain", "text/html") and not filename and disposition != "attachment":
        text = _decoded_text(part)
        (parts.plain if ctype == "text/plain" else parts.html).append(text)
        return
    data = _payload_bytes(part)
    if ctype == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            parts.attached_messages.append(inner[0])
            subject = _safe_name(header_text(inner[0], "Subject"))
            filename = filename or (subject + ".eml" if subject else None)
    description = _safe_name(header_text(part, "Content-Description"))
    if not filename and description and ctype.startswith("message/"):  # "Undelivered Message", "Delivery report"
        filename = description + (".eml" if ctype == "message/rfc822" else ".txt")
    content_id = header_text(part, "Content-ID").strip().strip("<>") or None
    name = filename or _default_name(ctype, content_id, len(parts.attachments) + 1)
    note = None
    if ctype in _TNEF or name.lower() == "winmail.dat":
        ctype = "application/ms-tnef"
        note = "Outlook TNEF container (winmail.dat): kept as is, not unpacked"
    inline = disposition == "inline" or (content_id is not None and disposition != "attachment")
    parts.attachments.append(
        Part(name=name, content_type=ctype, data=data, content_id=content_id, inline=inline, note=note)
    )


def _choose_alternative(children: list[Message], parts: Parts) -> None:
    """One rendering of a multipart/alternative, never several joined (RFC 2046 §5.1.4: the last one we
    can render is the richest). The plain text of the same content is kept beside a chosen HTML one (the
    quote finder prefers plain text); attachments of every alternative are kept, so nothing is lost."""
    walked = []
    for child in children:
        found = Parts(charset_hint=parts.charset_hint)
        _walk(child, found, True)
        walked.append(found)
    renderable = [found for found in walked if any(t.strip() for t in found.plain + found.html)]
    chosen = renderable[-1] if renderable else None
    if chosen is not None:
        plain = chosen.plain or next((found.plain for found in reversed(renderable) if found.plain), [])
        parts.plain.extend(plain)
        parts.html.extend(chosen.html)
    for found in walked:
        parts.attachments.extend(found.attachments)
        parts.attached_messages.extend(found.attached_messages)


def _filename(part: Message, charset_hint: str | None = None) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # broken RFC 2231 parameters
        name = None
    for carrier in ("name", "file", "filename"):  # `file=` / `filename=` on Content-Type: non-standard, common
        if name:
            break
        try:
            name = part.get_param(carrier)
        except Exception:  # broken RFC 2231 parameters
            name = None
        if isinstance(name, tuple):  # RFC 2231 (charset, language, value), continuations already joined
            name = email.utils.collapse_rfc2231_value(name)
    if not name:
        return None
    name = str(name)
    if "\ufffd" in name or any("\udc80" <= ch <= "\udcff" for ch in name):
        name = _raw_filename(part) or name  # 8-bit bytes in the parameter: read them from the raw header
    name = decode_header_value(name, charset_hint).strip().replace("\r", "").replace("\n", "")
    name = _safe_name(name)
    return None if not name or re.fullmatch(r"=\?[^?]*\?[bBqQ]\?\?=", name) else name


def _raw_filename(part: Message) -> str | None:
    for key, value in part.raw_items():
        if key.lower() in ("content-disposition", "content-type"):
            match = re.search(r'\b(?:file)?name\s*=\s*"([^"]+)"|\b(?:file)?name\s*=\s*([^\s;]+)', str(value), re.I)
            if match:
                return match.group(1) or match.group(2)
    return None


def _safe_name(name: str) -> str:
    """A display name that cannot escape a directory: last path component, no control characters."""
    name = re.split(r"[\\/]", name)[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", name).strip()[:255]


def _default_name(ctype: str, content_id: str | None, index: int) -> str:
    if ctype in _CONTAINER_NAMES:
        return _CONTAINER_NAMES[ctype]
    ext = mimetypes.guess_extension(ctype) or ".bin"
    stem = _safe_name(content_id.split("@")[0]) if content_id else f"part-{index}"
    return stem + ("" if stem.lower().endswith(ext) else ext)


_TOKEN_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")


def content_type(part: Message) -> str:
    """The part's media type; a mangled one (`text/plain>`, `text/html"`) read as its valid beginning, so
    that a stray character cannot turn the body into an attachment."""
    ctype = part.get_content_type()
    if _TOKEN_TYPE.fullmatch(ctype):
        return ctype
    match = _TOKEN_TYPE.match(ctype)
    return match.group(0) if match else "application/octet-stream"


def _payload_bytes(part: Message) -> bytes:
    if part.get_content_type() == "message/rfc822" or part.is_multipart():
        inner = [p for p in part.get_payload() if isinstance(p, Message)] if part.is_multipart() else []
        separator = b"" if part.get_content_type() == "message/rfc822" else b"\n"
        return separator.join(serialize(p) for p in inner)
    try:
        data = part.get_payload(decode=True)
    except Exception:  # broken base64 / uuencode: keep the transfer-encoded bytes rather than nothing
        data = None
    if any(type(defect).__name__ == "InvalidBase64LengthDefect" for defect in part.defects):
        data = _lenient_base64(part.get_payload()) or data
    if data is None:
        raw = part.get_payload()
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    return data


def _lenient_base64(encoded: object) -> bytes | None:
    """Base64 with a stray character or two at the end (the stdlib then hands back the encoded text):
    the whole quanta decoded, the incomplete tail dropped; None when even that is not base64."""
    if not isinstance(encoded, str):
        return None
    text = re.sub(r"[^A-Za-z0-9+/]", "", encoded.split("=", 1)[0])  # up to the padding, if any
    if len(text) % 4 == 1:  # one character too many: the stray one
        text = text[:-1]
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def serialize(message: Message) -> bytes:
    """A (sub-)message as bytes; by hand when the stdlib generator refuses a malformed header."""
    try:
        return message.as_bytes()
    except Exception:  # e.g. HeaderParseError "header value appears to contain an embedded header"
        head = "".join(f"{name}: {value}\n" for name, value in message.raw_items())
        payload = message.get_payload()
        body = (
            payload.encode("utf-8", "surrogateescape")
            if isinstance(payload, str)
            else b"\n".join(serialize(p) for p in payload if isinstance(p, Message))
        )
        return head.encode("utf-8", "surrogateescape") + b"\n" + body


_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _decoded_text(part: Message) -> str:
    data = _payload_bytes(part)
    declared = part.get_content_charset()
    if declared is None and content_type(part) == "text/html":  # only the page itself says: <meta charset>
        found = _META_CHARSET.search(data, 0, 4096)
        declared = found.group(1).decode("ascii") if found else None
    text = decode_bytes(data, declared)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def to_refs(attachments: list[Part], per_file_max: int, total_max: int) -> list[tuple[AttachmentRef, bytes]]:
    """Attachment refs with hashes; parts over a limit are recorded unstored with the reason."""
    out: list[tuple[AttachmentRef, bytes]] = []
    total = 0
    for part in attachments:
        size = len(part.data)
        note, stored = part.note, True
        if size > per_file_max:
            stored, note = False, f"over the {_human(per_file_max)} per-file limit"
        elif total + size > total_max:
            stored, note = False, f"over the {_human(total_max)} per-message attachment limit"
        if stored:
            total += size
        ref = AttachmentRef(
            name=part.name,
            content_type=part.content_type,
            size=size,
            sha256=hashlib.sha256(part.data).hexdigest() if stored else None,
            stored=stored,
            note=note,
            content_id=part.content_id,
            inline=part.inline,
        )
        out.append((ref, part.data))
    return out


def _human(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size} bytes"
