"""When we may answer automatically: never ourselves, never a hard-bounced address, never past the daily cap."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.core.settings import Settings
from store.models import Ticket, TicketMessage


class ReplyVerdict(BaseModel):
    allowed: bool
    reason: str
    suspected_loop: bool = False


def may_auto_reply(session: Session, settings: Settings, recipient: str, now: datetime) -> ReplyVerdict:
    """Whether an automatic reply to `recipient` is allowed now, and why not."""
    recipient = recipient.lower()
    if recipient in {a.lower() for a in settings.email.our_addresses}:
        return ReplyVerdict(allowed=False, reason="recipient is one of our own addresses", suspected_loop=True)
    ours = (
        select(TicketMessage.id)
        .join(Ticket)
        .where(Ticket.requester == recipient, TicketMessage.direction == "outbound")
    )
    hard_bounced = session.execute(
        ours.where(TicketMessage.delivery_status == "bounced", TicketMessage.delivery_error.like("5.%")).limit(1)
    ).first()
    if hard_bounced:
        return ReplyVerdict(allowed=False, reason="the address hard-bounced (5.x.x) before")
    sent_today = session.execute(
        select(func.count()).select_from(
            ours.where(
                TicketMessage.automatic.is_(True), TicketMessage.created_at >= now - timedelta(days=1)
            ).subquery()
        )
    ).scalar_one()
    cap = settings.limits.auto_replies_per_recipient_per_day
    if sent_today >= cap:
        return ReplyVerdict(
            allowed=False,
            suspected_loop=True,
            reason=f"{sent_today} automatic replies to this address in 24 h (cap {cap}): suspected loop",
        )
    return ReplyVerdict(allowed=True, reason="within the limits")
