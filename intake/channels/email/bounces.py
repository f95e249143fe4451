"""Delivery status notifications: standard (RFC 3464 multipart/report) and the common non-standard formats.

Used by `auto` to say *who* bounced, how hard, and which of our messages it was (the original Message-ID),
so the pipeline can attach the report to the ticket instead of opening a new one. Non-standard bounces
(qmail, Exim, Postfix without DSN, Exchange, Lotus Notes, webmail providers) are read from their text:
the failed addresses sit on lines near failure wording, or in the returned original's To header.
"""

from __future__ import annotations

import json
import re
from email import message_from_string
from email.message import Message

from pydantic import BaseModel, Field

from intake.channels.email.bounce_text import (
    ADDRESS,
    body_text,
    original_message_id,
    original_recipients,
    recipients_from_text,
    report_text_parts,
)
from intake.channels.email.charsets import decode_bytes
from intake.channels.email.headers import addresses, header_text

_BOUNCE_SENDER = re.compile(
    r"^(mailer-daemon|postmaster|mail-daemon|maildaemon|mailerdaemon|mdaemon|"
    r"mail\.?delivery|bounce|bounces|double-bounce|mailadmin|nobody|returns?)\b|"
    r"^(mailer-daemon|postmaster)@",
    re.I,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery (status )?(notification|failure|failed|report|problem)|returned mail|"
    r"failure notice|mail delivery (failed|failure|system|subsystem)|non[- ]?deliver|delivery has failed|"
    r"could not be delivered|message not delivered|returned to sender|permanent (error|failure)|"
    r"mail system error|rejected|warning: could not send|delayed mail|delivery delayed|unzustellbar|"
    r"nicht zustellbar|zustellung fehlgeschlagen|unable to deliver|delivery notification|"
    r"mail could not be delivered|error sending|message you sent|delivery status|dsn|bounced?|fail|error|"
    r"not delivered|returned|warning|delayed|not yet been delivered|メールエラー|エラー通知|不達|未送達|退信|系统退信",
    re.I,
)
_STRONG_SUBJECT = re.compile(
    r"undeliver|non[- ]?deliver|non remis|returned mail|delivery (status notification|failure|has failed|notification)|"
    r"mail delivery (failed|failure|warning)|failure notice|could not be delivered|delivery (delayed|warning)|"
    r"unzustellbar|nicht zustellbar|returned to sender|メールエラー|エラー通知|不達|未送達|系统退信",
    re.I,
)
_BODY_FAILURE = re.compile(
    r"could not be delivered|couldn't be delivered|undeliverable|delivery has failed|permanent fatal error|"
    r"not yet been delivered|delivery to the following recipient|delivery of email to this address|"
    r"n'a pas pu|unzustellbar|konnte nicht zugestellt|was not delivered|message you sent|failed permanently|"
    r"non-delivery report|could not deliver|failed recipients|mailbox unavailable|did not reach",
    re.I,
)
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_FAILURE_STATUS = re.compile(r"\b([45])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_CODE = re.compile(r"\b([45])\d\d\b")


class BounceInfo(BaseModel):
    """One delivery report: the recipients that failed, how, and which message of ours it concerns."""

    recipients: list[str] = Field(default_factory=list)
    status: str | None = None  # enhanced status code, e.g. "5.1.1"
    action: str = "failed"  # failed | delayed | delivered | relayed | expanded
    hard: bool = True
    diagnostic: str | None = None
    original_message_id: str | None = None
    standard: bool = False  # from an RFC 3464 message/delivery-status part


def is_bounce_sender(message: Message) -> bool:
    """From MAILER-DAEMON, postmaster, "Mail Delivery System"… (by address or by display name)."""
    raw_from = header_text(message, "From").strip()
    if raw_from == "<>":  # the null sender of RFC 5321
        return True
    values = [a for pair in addresses(message, "From") for a in pair if a] + [raw_from.lower()]
    return any(
        _BOUNCE_SENDER.search(v.strip().strip('"'))
        or re.search(r"mailer-daemon|postmaster|mail delivery (system|subsystem)", v, re.I)
        for v in values
    )


def looks_like_bounce(message: Message) -> bool:
    """A DSN by structure, or a non-standard bounce by sender and subject."""
    if report_type(message) == "delivery-status" or _find_part(message, "message/delivery-status"):
        return True
    if ses_notification(message) is not None:
        return True
    subject = header_text(message, "Subject")
    if is_bounce_sender(message) and (
        _BOUNCE_SUBJECT.search(subject)
        or not subject.strip()
        or _find_part(message, "message/rfc822", "text/rfc822-headers")
    ):
        return True
    # Without a daemon sender only unmistakable subjects count: "Error in my bill" with a forwarded mail is not a DSN
    if _STRONG_SUBJECT.search(subject) and _find_part(message, "message/rfc822", "text/rfc822-headers"):
        return True
    if _STRONG_SUBJECT.search(subject) and _BODY_FAILURE.search(body_text(message)[:20000]):
        return True
    return_path = header_text(message, "Return-Path").strip()
    return return_path in ("<>", "") and bool(_STRONG_SUBJECT.search(subject)) and "Return-Path" in message


def read_bounce(message: Message) -> BounceInfo:
    """Recipients, status and the original Message-ID of a bounce (standard part first, then the text)."""
    info = _from_delivery_status(message) or _from_ses_json(message) or BounceInfo()
    if not info.recipients:
        info.recipients = recipients_from_text(message)
    text = body_text(message)
    if info.status is None:
        status = _FAILURE_STATUS.search(text)  # in free text only 4.x.x/5.x.x: "2.1.5" is as likely a version
        if status:
            info.status = status.group(0)
        else:
            code = _SMTP_CODE.search(text)
            info.status = f"{code.group(1)}.0.0" if code else None
    if (
        not info.standard
        and re.search(
            r"\b(delay(ed)?|will (continue|retry|keep trying)|not yet been delivered|"
            r"warning)\b",
            text,
            re.I,
        )
        and not re.search(r"permanent|gave up|giving up", text, re.I)
    ):
        if info.status is None or info.status.startswith("4"):
            info.action = "delayed"
    if info.standard and info.status and info.status.startswith("2") and info.action == "failed":
        info.action = "delivered"  # a success DSN without an Action field
    if info.status:
        info.hard = info.status.startswith("5") and info.action == "failed"
    else:
        info.hard = info.action == "failed"
    info.original_message_id = info.original_message_id or original_message_id(message)
    if not info.recipients:
        info.recipients = original_recipients(message)
    return info


def report_type(message: Message) -> str:
    """The report-type of a multipart/report ("delivery-status", "feedback-report"…), else ""."""
    if message.get_content_type() != "multipart/report":
        return ""
    value = message.get_param("report-type") or ""
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = value[2]
    return str(value).strip().lower()


def _find_part(message: Message, *types: str) -> Message | None:
    for part in message.walk():
        if part.get_content_type() in types:
            return part
    return None


def _from_delivery_status(message: Message) -> BounceInfo | None:
    part = _find_part(message, "message/delivery-status")
    if part is None:
        return None
    blocks = part.get_payload()
    if isinstance(blocks, str) or not blocks:
        raw = part.get_payload(decode=True) or b""
        chunks = re.split(r"\r?\n\s*\r?\n", decode_bytes(raw))
        blocks = [message_from_string(chunk) for chunk in chunks if chunk.strip()]
    info = BounceInfo(standard=True)
    for block in blocks:
        if not isinstance(block, Message):
            continue
        # The address we wrote to (Original-Recipient) over the one the remote side rewrote it to.
        recipient = block.get("Original-Recipient") or block.get("Final-Recipient")
        if recipient and "@" not in str(recipient):
            recipient = block.get("Final-Recipient")
        if not recipient:
            continue
        address = ADDRESS.search(str(recipient))
        if address and address.group(0).lower() not in info.recipients:
            info.recipients.append(address.group(0).lower())
        action = str(block.get("Action") or "").strip().lower()
        if action and info.action == "failed":
            info.action = action if action in ("failed", "delayed", "delivered", "relayed", "expanded") else "failed"
        status = _STATUS.search(str(block.get("Status") or ""))
        if status and info.status is None:
            info.status = status.group(0)
        if block.get("Diagnostic-Code") and info.diagnostic is None:
            info.diagnostic = re.sub(r"\s+", " ", str(block["Diagnostic-Code"])).strip()[:500]
    return info


def ses_notification(message: Message) -> dict | None:
    """An Amazon SES notification (via SNS e-mail): JSON with notificationType Bounce/Complaint/Delivery."""
    if not _text_parts_hold(message, "notificationType"):
        return None
    text = body_text(message)
    start = text.find("{")
    if start < 0 or "notificationType" not in text:
        return None
    try:
        data, _ = json.JSONDecoder(strict=False).raw_decode(text[start:])
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("notificationType") else None


def _text_parts_hold(message: Message, word: str) -> bool:
    """Whether the parts `body_text` reads hold `word`, tested on their bytes: every mail is asked whether it
    is an SES notification, and decoding (and guessing) every body's charset for that costs more than parsing."""
    return any(
        word.encode() in data
        or ((charset or "").startswith(("utf-16", "utf-32", "utf16", "utf32")) and word in decode_bytes(data, charset))
        for data, charset in report_text_parts(message)
    )


def _from_ses_json(message: Message) -> BounceInfo | None:
    data = ses_notification(message)
    if data is None or data["notificationType"] != "Bounce":
        return None
    bounce = data.get("bounce") or {}
    info = BounceInfo(standard=True, hard=bounce.get("bounceType") == "Permanent")
    for recipient in bounce.get("bouncedRecipients") or []:
        address = str(recipient.get("emailAddress") or "").lower()
        if address:
            info.recipients.append(address)
        info.status = info.status or recipient.get("status")
        info.diagnostic = info.diagnostic or recipient.get("diagnosticCode")
    mail = data.get("mail") or {}
    info.original_message_id = f"<{mail['messageId']}>" if mail.get("messageId") else None
    return info
