"""Queueing acknowledgements in the ticket's transaction, and sending queued messages exactly once."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.orm import Session

from intake.core.models import Clock, InboundMessage
from intake.core.settings import Settings
from outbound.messages import acknowledgement_text, build_email, make_message_id
from outbound.policy import may_auto_reply
from outbound.smtp import send_email
from store import tickets as ticket_store
from store.db import Database
from store.models import Ticket, TicketMessage

log = logging.getLogger(__name__)


class Outbox(Protocol):
    """What sending needs from the process: its settings, database and clock (`intake.runtime.Runtime`)."""

    settings: Settings
    db: Database
    clock: Clock


def queue_acknowledgement(
    session: Session, ticket: Ticket, inbound: InboundMessage, settings: Settings, now: datetime
) -> TicketMessage | None:
    """Store an acknowledgement for a new emailed ticket, unless the reply policy says no (recorded why)."""
    verdict = may_auto_reply(session, settings, inbound.sender, now)
    if not verdict.allowed:
        ticket_store.add_event(session, ticket, "auto-reply-suppressed", reason=verdict.reason, at=now)
        if verdict.suspected_loop and "suspected-loop" not in ticket.tags:
            ticket_store.set_fields(
                session,
                ticket,
                {
                    "tags": [*ticket.tags, "suspected-loop"],
                    "needs_review": True,
                    "review_reasons": [*ticket.review_reasons, verdict.reason],
                },
                actor="system",
                reason=verdict.reason,
                at=now,
            )
        return None
    email = settings.email
    message_id = make_message_id(email.instance_marker, ticket.number, email.from_address)
    subject = f"[{ticket.number}] {inbound.subject or 'Your message'}"
    text = acknowledgement_text(ticket.number, inbound.subject, ticket.urgency)
    mime = build_email(
        from_address=email.from_address,
        to=inbound.sender,
        subject=subject,
        text=text,
        message_id=message_id,
        marker=email.instance_marker,
        in_reply_to=inbound.thread.message_id,
        references=inbound.thread.references,
        automatic=True,
    )
    row = TicketMessage(
        ticket=ticket,
        direction="outbound",
        channel="email",
        author=email.from_address,
        recipients=[inbound.sender],
        subject=subject,
        text=text,
        full_text=text,
        message_id_header=message_id,
        delivery_status="queued",
        automatic=True,
        raw_mime=mime.as_bytes(),
        created_at=now,
    )
    session.add(row)
    session.flush()
    ticket_store.add_event(
        session,
        ticket,
        "acknowledgement-queued",
        changes={"message": row.id},
        reason=f"automatic acknowledgement to {inbound.sender}",
        at=now,
    )
    return row


def send_outbound(ctx: Outbox, message_id: int) -> str:
    """Send one queued outbound message; a second call (duplicate broker message) does nothing.

    Every try is counted; once `email.smtp_max_attempts` have failed the message ends `failed` with its last
    error (a timeline event says so) and nothing sends it again, neither the broker's retries nor the reconciler.
    """
    with ctx.db.locked() as session:
        row = session.get(TicketMessage, message_id, with_for_update=True)
        if row is None or row.delivery_status != "queued":
            return f"skipped ({row.delivery_status if row else 'missing'})"
        raw, recipients, sender, attempt = row.raw_mime, list(row.recipients), row.author, row.delivery_attempts + 1
        # Claim it first: if the process dies after the SMTP handoff, we must not send it twice.
        session.execute(
            update(TicketMessage)
            .where(TicketMessage.id == message_id)
            .values(delivery_status="sending", delivery_attempts=attempt)
        )
    try:
        send_email(ctx.settings.email, raw, sender, recipients)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
        if attempt >= ctx.settings.email.smtp_max_attempts:
            mark_failed(ctx, message_id, error, attempt)
            return "failed"
        with ctx.db.session() as session:
            session.execute(
                update(TicketMessage)
                .where(TicketMessage.id == message_id)
                .values(delivery_status="queued", delivery_error=error)
            )
        raise
    with ctx.db.session() as session:
        row = session.get(TicketMessage, message_id)
        row.delivery_status, row.delivery_error = "sent", None
        ticket_store.add_event(
            session,
            row.ticket,
            "message-sent",
            changes={"message": message_id},
            reason=f"to {', '.join(recipients)}",
            at=ctx.clock(),
        )
    log.info("outbound %s sent", message_id)
    return "sent"


def mark_failed(ctx: Outbox, message_id: int, error: str, attempts: int) -> None:
    """The end of an outbound message's retries: `failed` with its last error, on the ticket's timeline."""
    with ctx.db.session() as session:
        row = session.get(TicketMessage, message_id)
        row.delivery_status, row.delivery_error = "failed", error
        ticket_store.add_event(
            session,
            row.ticket,
            "message-failed",
            changes={"message": message_id},
            reason=f"not sent after {attempts} attempts: {error}",
            at=ctx.clock(),
        )
    log.error("outbound %s failed after %d attempts: %s", message_id, attempts, error)
