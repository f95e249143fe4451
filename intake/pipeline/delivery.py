"""Delivery reports in the guard stage: a provider's status or a bounce about one of *our* outbound messages.

They never open tickets; they move the outbound message's delivery status forward and put failures on the
ticket's timeline.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from intake.pipeline.work import Verdict, Work
from intake.runtime import Runtime
from store import tickets as ticket_store
from store.models import TicketMessage


def record_delivery_report(ctx: Runtime, session: Session, work: Work) -> Verdict:
    """A WhatsApp status or a bounce updates the outbound message it reports on; failures reach the timeline."""
    report = work.message.delivery_report
    outbound = session.execute(
        select(TicketMessage)
        .where(TicketMessage.direction == "outbound")
        .where(or_(TicketMessage.channel_message_id == report.ref_id, TicketMessage.message_id_header == report.ref_id))
        .with_for_update()  # two reports about one message, processed at once, must not both win
    ).scalar_one_or_none()
    if outbound is None:
        return Verdict.drop(f"delivery report ({report.status}) for a message we do not know")
    work.ticket = outbound.ticket
    if report.status in _FAILURES:  # the error is recorded whatever the status stays
        ticket_store.add_event(
            session,
            outbound.ticket,
            "delivery-failed",
            changes={"message": outbound.id, "status": report.status},
            reason=f"{report.recipient or 'recipient'}: {report.reason or report.status}",
            at=ctx.clock(),
        )
    if not is_delivery_advance(outbound.delivery_status, report.status):
        return Verdict(f"delivery report: {report.status} (kept {outbound.delivery_status})")
    outbound.delivery_status = report.status
    outbound.delivery_error = report.reason if report.status in _FAILURES else None
    return Verdict(f"delivery report: {report.status}")


# Providers deliver reports out of order (a late `sent` after `read`), so a status only moves forward.
# A failure outranks queued/sent but not delivered/read: a message that reached the phone did not fail.
_DELIVERY_RANK = {
    "queued": 0,
    "sending": 1,
    "pending": 1,
    "sent": 2,
    "failed": 3,
    "bounced": 3,
    "delivered": 4,
    "read": 5,
    "played": 6,
}
_FAILURES = {"failed", "bounced"}


def is_delivery_advance(current: str | None, reported: str) -> bool:
    """Whether `reported` moves an outbound message's status forward (unknown ones, e.g. `deleted`, never do)."""
    if reported not in _DELIVERY_RANK:
        return False
    if current not in _DELIVERY_RANK or (reported in _FAILURES and current in _FAILURES):  # a later bounce's error
        return True
    return _DELIVERY_RANK[reported] > _DELIVERY_RANK[current]
