"""The persist stage's work: a new ticket with its first message, or one more message on an existing ticket."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from intake.channels.registry import ticket_prefix
from intake.core.after_commit import AfterCommit, Kind
from intake.core.models import InboundMessage
from intake.core.vocabulary import OPEN_STATUSES, priority_of
from intake.pipeline.safety_net import flag_ticket
from intake.pipeline.work import Work
from intake.runtime import Runtime
from store import threads
from store import tickets as ticket_store
from store.models import Attachment, Ticket, TicketMessage


def over_rate_limit(ctx: Runtime, session: Session, sender: str) -> bool:
    limit = ctx.settings.limits.new_tickets_per_sender_per_hour
    since = ctx.clock() - timedelta(hours=1)
    return ticket_store.new_tickets_by_sender_since(session, sender, since) >= limit


def open_ticket(ctx: Runtime, session: Session, work: Work) -> Ticket:
    """Create the ticket, its first message and the timeline entries that explain the classification."""
    message, result, now = work.message, work.classification, ctx.clock()
    ticket = Ticket(
        number=ticket_store.next_number(session, ticket_prefix(message.channel)),
        channel=message.channel.value,
        status="new",
        subject=message.subject or _first_line(message.text or message.full_text),
        requester=message.sender,
        requester_name=message.sender_name,
        external_ticket_id=message.external_ticket_id,
        conversation_id=message.thread.conversation_id,
        probable_followup_of=work.thread.probable_of,
        created_at=now,
        updated_at=now,
        last_activity_at=now,
        last_inbound_at=now,
        messages=[],
        events=[],  # known empty: reading them later needs no query
    )
    if result is not None:
        ticket.category, ticket.subcategory, ticket.urgency = result.category, result.subcategory, result.urgency
        ticket.priority = priority_of(result.urgency)
        ticket.property_id, ticket.unit = result.property, result.unit
        ticket.billing_type, ticket.requires_approval = result.billing_type, result.requires_approval
        ticket.estimated_cost, ticket.currency = result.estimated_cost, result.currency
        ticket.confidence = dict(result.confidence)
        ticket.evidence = [e.model_dump() for e in result.evidence]
        ticket.needs_review, ticket.review_reasons = result.needs_review, list(result.review_reasons)
    if work.thread.probable_of and not work.thread.note_only:
        ticket.needs_review = True
        ticket.review_reasons = [*ticket.review_reasons, f"probable follow-up of {work.thread.probable_of}"]
    session.add(ticket)
    session.flush()
    ticket_store.add_event(
        session,
        ticket,
        "created",
        changes={"channel": ticket.channel, "raw_id": work.raw.id},
        reason=f"new {message.channel.value} message from {message.sender}",
        at=now,
    )
    if result is not None:
        ticket_store.add_event(
            session,
            ticket,
            "classified",
            actor="classifier",
            changes={
                f: getattr(ticket, f)
                for f in ("category", "subcategory", "urgency", "property_id", "unit", "billing_type")
            },
            reason=_explain_classification(result),
            at=now,
        )
        flag_ticket(ctx, session, work, ticket, result)  # pinned for a person, routed as usual all the same
    if work.thread.probable_of and work.thread.note_only:
        _note_possible_link(session, ticket, work, now)
    elif work.thread.probable_of:
        ticket_store.add_event(
            session,
            ticket,
            "probable-follow-up",
            changes={"of": work.thread.probable_of},
            reason="; ".join(work.thread.evidence) or None,
            at=now,
        )
    _add_message(ctx, session, ticket, work, signal=None)
    work.ticket, work.is_new_ticket = ticket, True
    work.outcome = f"new ticket {ticket.number}"
    return ticket


def _note_possible_link(session: Session, ticket: Ticket, work: Work, now) -> None:
    """An urgent message's possible link: a "may relate to" note on both tickets, for a person to merge."""
    other = threads.for_follow_up(session, work.thread.probable_of)
    evidence = "; ".join(work.thread.evidence)
    ticket_store.add_event(
        session,
        ticket,
        "may-relate",
        changes={"to": work.thread.probable_of},
        reason=f"may relate to {work.thread.probable_of}: {evidence}",
        at=now,
    )
    if other is not None:
        ticket_store.add_event(
            session,
            other,
            "may-relate",
            changes={"to": ticket.number},
            reason=f"may relate to {ticket.number} (urgent, opened on its own): {evidence}",
            at=now,
        )


def append_to_ticket(ctx: Runtime, session: Session, work: Work, ticket: Ticket) -> None:
    """Add the message to its ticket; a reply to a resolved or closed ticket reopens it when configured."""
    now = ctx.clock()
    ticket.last_activity_at = ticket.last_inbound_at = ticket.updated_at = now
    if (
        ticket.status not in OPEN_STATUSES
        and ctx.settings.pipeline.reopen_resolved_on_reply
        and ticket.status in {"resolved", "closed"}
    ):
        target = "in_progress" if ticket.status == "resolved" else "assigned"
        ticket_store.change_status(
            session, ticket, target, actor="system", reason=f"tenant replied ({work.message.sender})", at=now
        )
    message = _add_message(ctx, session, ticket, work, signal=work.thread.signal)
    ticket_store.add_event(
        session,
        ticket,
        "message-threaded",
        changes={"message": message.id, "signal": work.thread.signal},
        reason="; ".join(work.thread.evidence) or None,
        at=now,
    )
    work.ticket = ticket
    work.outcome = f"threaded onto {ticket.number} by {work.thread.signal}"


def _add_message(ctx: Runtime, session: Session, ticket: Ticket, work: Work, signal: str | None) -> TicketMessage:
    message: InboundMessage = work.message
    row = TicketMessage(
        ticket=ticket,
        raw_id=work.raw.id,
        direction="inbound",
        channel=message.channel.value,
        author=message.sender,
        author_name=message.sender_name,
        recipients=[*message.to, *message.cc],
        subject=message.subject,
        text=message.text,
        full_text=message.full_text or message.text,
        html=message.html,
        channel_message_id=message.channel_message_id,
        message_id_header=message.thread.message_id,
        thread_signal=signal,
        created_at=ctx.clock(),
    )
    session.add(row)
    session.flush()
    _add_attachments(ctx, session, row, work)
    return row


def _add_attachments(ctx: Runtime, session: Session, row: TicketMessage, work: Work) -> None:
    """Record every attachment; store the bytes of those the channel delivered within the limits."""
    contents = work.attachment_contents
    for ref in work.message.attachments:
        stored = bool(ref.stored and ref.sha256 in contents)
        if stored:
            ctx.files.put(contents[ref.sha256])
        attachment = Attachment(
            message=row,
            name=ref.name,
            content_type=ref.content_type,
            size=ref.size,
            sha256=ref.sha256,
            stored=stored,
            note=ref.note,
            media_id=ref.media_id,
        )
        session.add(attachment)
        if ref.media_id and not stored:  # chat media: fetched once the ticket is committed
            session.flush()
            work.after_commit.append(AfterCommit(Kind.FETCH_ATTACHMENT, (attachment.id,)))


def _first_line(text: str) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line[:120]


def _explain_classification(result) -> str:
    parts = []
    for field in ("category", "subcategory", "urgency", "unit"):
        value = getattr(result, field)
        if value is None:
            continue
        confidence = result.confidence.get(field)
        proof = next((f"{e.source}: {e.text!r}" for e in result.evidence if e.field == field), "no evidence")
        parts.append(f"{field}={value}" + (f" ({confidence:.2f})" if confidence is not None else "") + f" from {proof}")
    return "; ".join(parts)
