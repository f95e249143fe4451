"""Building our emails: Message-IDs carrying the instance marker, threading headers, loop headers."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from email.utils import format_datetime

from intake.core.models import utcnow


def make_message_id(marker: str, ticket_number: str, from_address: str) -> str:
    """`<marker.TICKET.random@domain>`: a reply to it threads back, and a copy of it is recognised as ours."""
    domain = from_address.rsplit("@", 1)[-1]
    return f"<{marker}.{ticket_number}.{uuid.uuid4().hex[:16]}@{domain}>"


def is_our_message_id(message_id: str, marker: str) -> bool:
    return message_id.strip("<>").startswith(f"{marker}.")


def build_email(
    *,
    from_address: str,
    to: str,
    subject: str,
    text: str,
    message_id: str,
    marker: str,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    automatic: bool,
) -> EmailMessage:
    """One outbound email. Automatic ones say so (RFC 3834), so well-behaved auto-responders stay quiet."""
    msg = EmailMessage()
    msg["From"] = from_address
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = " ".join([*(references or []), in_reply_to][-10:])
    msg["X-Loop"] = marker
    if automatic:
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"  # Exchange: no out-of-office back to an acknowledgement
    msg.set_content(text)
    return msg


def acknowledgement_text(number: str, subject: str | None, urgency: str | None) -> str:
    lines = [
        "Hello,",
        "",
        f"We have received your message{f' “{subject}”' if subject else ''} and opened ticket {number}.",
        "Please keep the reference in the subject when you write about this problem again.",
    ]
    if urgency == "urgent":
        lines += ["", "If anyone is in danger (gas, fire, flooding), call the emergency services first."]
    lines += ["", "— Maintenance team (automatic message: no need to answer it)"]
    return "\n".join(lines)


def uid() -> str:
    return uuid.uuid4().hex
