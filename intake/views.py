"""Tickets and raw items as plain data for the CLI, JSON output and the web UI (one shape everywhere)."""

from __future__ import annotations

from store.models import RawItem, Ticket, TicketMessage
from store.review_queue import next_due

SUMMARY_FIELDS = (
    "number",
    "status",
    "channel",
    "category",
    "subcategory",
    "urgency",
    "priority",
    "property_id",
    "unit",
    "billing_type",
    "team",
    "assignee",
    "needs_review",
    "subject",
)


def ticket_summary(ticket: Ticket) -> dict:
    """One row of a ticket list: the fields above, when it came in, its next SLA due time and why it is in triage."""
    data = {name: getattr(ticket, name) for name in SUMMARY_FIELDS}
    data["created_at"] = ticket.created_at.isoformat()
    data["next_due"] = _iso(next_due(ticket))
    data["review_reasons"] = ticket.review_reasons
    data["possible_emergency"] = emergency_flag(ticket)
    return data


def emergency_flag(ticket: Ticket) -> dict | None:
    """The safety net's flag (intake/pipeline/safety_net.py): its state (open: pinned in the triage queue,
    confirmed, cleared), why it was raised and who settled it, when and why; None when never flagged."""
    if ticket.emergency_state is None:
        return None
    return {
        "state": ticket.emergency_state,
        "reasons": list(ticket.emergency_reasons or []),
        "settled_by": ticket.emergency_settled_by,
        "settled_at": _iso(ticket.emergency_settled_at),
        "settled_why": ticket.emergency_settled_why,
    }


def ticket_detail(ticket: Ticket) -> dict:
    """Everything a dispatcher needs: fields, classification with evidence, thread and timeline."""
    data = ticket_summary(ticket)
    data.update(
        requester=ticket.requester,
        requester_name=ticket.requester_name,
        requires_approval=ticket.requires_approval,
        estimated_cost=ticket.estimated_cost,
        currency=ticket.currency,
        external_ticket_id=ticket.external_ticket_id,
        probable_followup_of=ticket.probable_followup_of,
        tags=ticket.tags,
        review_reasons=ticket.review_reasons,
        classification={"confidence": ticket.confidence, "evidence": ticket.evidence},
        sla={
            "first_response_due": _iso(ticket.first_response_due),
            "resolution_due": _iso(ticket.resolution_due),
            "first_response_at": _iso(ticket.first_response_at),
            "resolved_at": _iso(ticket.resolved_at),
        },
        messages=[
            {
                "id": m.id,
                "direction": m.direction,
                "channel": m.channel,
                "author": m.author,
                "author_name": m.author_name,
                "at": m.created_at.isoformat(),
                "subject": m.subject,
                "text": m.text,
                "full_text": m.full_text,
                "internal": m.internal,
                "thread_signal": m.thread_signal,
                "delivery_status": m.delivery_status,
                "attachments": [
                    {"name": a.name, "content_type": a.content_type, "size": a.size, "stored": a.stored, "note": a.note}
                    for a in m.attachments
                ],
            }
            for m in ticket.messages
        ],
        timeline=[
            {"at": e.at.isoformat(), "actor": e.actor, "kind": e.kind, "changes": e.changes, "reason": e.reason}
            for e in ticket.events
        ],
        outbound=[outbound_summary(m) for m in ticket.messages if m.direction == "outbound"],
    )
    return data


def outbound_summary(message: TicketMessage) -> dict:
    """One message we send (or sent): where to, its delivery state, tries and last error (`intake outbox`)."""
    return {
        "id": message.id,
        "ticket": message.ticket.number,
        "channel": message.channel,
        "to": list(message.recipients),
        "subject": message.subject,
        "state": message.delivery_status,
        "attempts": message.delivery_attempts,
        "error": message.delivery_error,
        "automatic": message.automatic,
        "created_at": message.created_at.isoformat(),
    }


def raw_summary(item: RawItem) -> dict:
    return {
        "id": item.id,
        "channel": item.channel,
        "channel_id": item.channel_id,
        "state": item.state,
        "attempts": item.attempts,
        "received_at": item.received_at.isoformat(),
        "source": item.source,
        "error": (item.error or "").splitlines()[0] if item.error else None,
        "outcome": item.outcome,
    }


def _iso(value) -> str | None:
    return value.isoformat() if value else None
