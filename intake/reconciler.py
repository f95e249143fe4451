"""Re-driving work from the database, which is the source of truth when the broker lost a message."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import update

from intake.runtime import Runtime
from store import raw as raw_store
from store.models import RawItem

log = logging.getLogger(__name__)
RESEND_LIMIT = 500  # raw items re-sent a sweep at most; also the page size of the candidates


def reconcile_pending(ctx: Runtime) -> list[int]:
    """Send again every raw item still pending after `pipeline.reconcile_after_seconds` whose broker message is
    gone; returns their ids. At most one message per item is outstanding: one sent within the claim lease, or
    one the broker still holds (no worker running: the queue must not grow by a copy per sweep), is left be.

    Processing is idempotent, so re-sending an item whose first message is merely slow is harmless.
    """
    from intake.ingest import send_for_processing

    older_than = timedelta(seconds=ctx.settings.pipeline.reconcile_after_seconds)
    lease = timedelta(seconds=ctx.settings.pipeline.claim_seconds)
    raw_ids = _lost_items(ctx, older_than, lease)
    if raw_ids:
        with ctx.db.session() as session:
            # Touch them so the next sweep does not re-send the same ids before a worker got to them.
            session.execute(update(RawItem).where(RawItem.id.in_(raw_ids)).values(updated_at=ctx.clock()))
        log.warning("re-sending %d pending raw items: %s", len(raw_ids), raw_ids[:20])
        send_for_processing(raw_ids, db=ctx.db)
    resend_queued_outbound(ctx, older_than)
    resend_unfetched_media(ctx, older_than)
    return raw_ids


def _lost_items(ctx: Runtime, older_than: timedelta, lease: timedelta) -> list[int]:
    """Up to RESEND_LIMIT candidates whose message is gone, paging past those the broker still holds (a queue
    backed up with old items must not hide newer ones that never got a message, or lost theirs)."""
    found: list[int] = []
    after = None
    while len(found) < RESEND_LIMIT:
        with ctx.db.session() as session:
            page = raw_store.resend_candidates(session, older_than, lease, ctx.clock(), limit=RESEND_LIMIT, after=after)
        found += _without_held_messages(ctx, page)
        if len(page) < RESEND_LIMIT:
            break
        after = page[-1]
    return found[:RESEND_LIMIT]


def _without_held_messages(ctx: Runtime, candidates: list[tuple[int, str | None]]) -> list[int]:
    """The candidates whose last message the broker no longer holds (lost with a Redis restart, or acked)."""
    from intake.broker import ensure_broker, held_messages

    message_ids = sorted({message_id for _, message_id in candidates if message_id})
    held = held_messages(ensure_broker(ctx.settings), "inbound", message_ids) or set()
    return [raw_id for raw_id, message_id in candidates if message_id not in held]


def resend_queued_outbound(ctx: Runtime, older_than: timedelta) -> list[int]:
    """Outbound messages still `queued` after `older_than` lost their broker message: send it again."""
    from sqlalchemy import select

    from intake.actors import send_outbound
    from store.models import TicketMessage

    cutoff = ctx.clock() - older_than
    with ctx.db.session() as session:
        ids = list(
            session.execute(
                select(TicketMessage.id)
                .where(
                    TicketMessage.direction == "outbound",
                    TicketMessage.delivery_status == "queued",
                    TicketMessage.created_at < cutoff,
                )
                .limit(500)
            ).scalars()
        )
    for message_id in ids:
        try:
            send_outbound.send(message_id)
        except Exception as exc:  # broker down: the next sweep tries again
            log.warning("outbound %s not re-sent (%s)", message_id, exc)
    return ids


def resend_unfetched_media(ctx: Runtime, older_than: timedelta) -> list[int]:
    """Chat attachments still not fetched (and not failed for good) after `older_than`: fetch again."""
    from sqlalchemy import or_, select

    from intake.actors import fetch_attachment
    from intake.media import FAILED_PREFIX
    from store.models import Attachment, TicketMessage

    cutoff = ctx.clock() - older_than
    with ctx.db.session() as session:
        ids = list(
            session.execute(
                select(Attachment.id)
                .join(TicketMessage)
                .where(
                    Attachment.media_id.is_not(None),
                    Attachment.stored.is_(False),
                    or_(Attachment.note.is_(None), ~Attachment.note.startswith(FAILED_PREFIX)),
                    TicketMessage.created_at < cutoff,
                )
                .limit(500)
            ).scalars()
        )
    for attachment_id in ids:
        try:
            fetch_attachment.send(attachment_id)
        except Exception as exc:  # broker down: the next sweep tries again
            log.warning("attachment %s fetch not re-sent (%s)", attachment_id, exc)
    return ids
