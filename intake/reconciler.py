"""Finding work whose broker message was lost, from the database (the source of truth: Redis keeps nothing on
disk): pending raw items, queued outbound messages, chat media still to fetch. It only returns their ids; the
`reconcile` actor (`intake.actors.reconcile_pending`) sends them again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update

from intake.broker import ensure_broker, held_messages
from intake.channels.whatsapp.media import FAILED_PREFIX
from intake.runtime import Runtime
from store import raw as raw_store
from store.models import Attachment, RawItem, TicketMessage

log = logging.getLogger(__name__)
RESEND_LIMIT = 500  # raw items re-sent a sweep at most; also the page size of the candidates


@dataclass(frozen=True)
class Lost:
    """What lost its broker message: raw items to process, outbound messages to send, attachments to fetch."""

    raw_ids: list[int]
    outbound_ids: list[int]
    attachment_ids: list[int]


def find_lost(ctx: Runtime) -> Lost:
    """Every raw item still pending after `pipeline.reconcile_after_seconds` whose broker message is gone (at most
    one message per item is outstanding: one sent within the claim lease, or one the broker still holds — no
    worker running: the queue must not grow by a copy per sweep — is left be), and the outbound messages and
    attachments that waited as long. The raw items are touched, so the next sweep does not find them again
    before a worker got to them.

    Processing is idempotent, so re-sending an item whose first message is merely slow is harmless.
    """
    older_than = timedelta(seconds=ctx.settings.pipeline.reconcile_after_seconds)
    lease = timedelta(seconds=ctx.settings.pipeline.claim_seconds)
    raw_ids = _lost_items(ctx, older_than, lease)
    if raw_ids:
        with ctx.db.session() as session:
            session.execute(update(RawItem).where(RawItem.id.in_(raw_ids)).values(updated_at=ctx.clock()))
        log.warning("re-sending %d pending raw items: %s", len(raw_ids), raw_ids[:20])
    return Lost(raw_ids, queued_outbound(ctx, older_than), unfetched_media(ctx, older_than))


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
    message_ids = sorted({message_id for _, message_id in candidates if message_id})
    held = held_messages(ensure_broker(ctx.settings), "inbound", message_ids) or set()
    return [raw_id for raw_id, message_id in candidates if message_id not in held]


def queued_outbound(ctx: Runtime, older_than: timedelta) -> list[int]:
    """Outbound messages still `queued` after `older_than`: their broker message was lost."""
    cutoff = ctx.clock() - older_than
    with ctx.db.session() as session:
        return list(
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


def unfetched_media(ctx: Runtime, older_than: timedelta) -> list[int]:
    """Chat attachments still not fetched (and not failed for good) after `older_than`."""
    cutoff = ctx.clock() - older_than
    with ctx.db.session() as session:
        return list(
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
