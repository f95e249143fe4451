"""Fetching chat media after the ticket exists: a WhatsApp media id or WAHA URL becomes a stored file."""

from __future__ import annotations

import logging

from intake.channels.whatsapp.media import FAILED_PREFIX, MediaError, fetch_media
from intake.runtime import Runtime
from store import tickets as ticket_store
from store.models import Attachment

log = logging.getLogger(__name__)


def fetch_attachment(ctx: Runtime, attachment_id: int) -> str:
    """Download one attachment's media (size-capped) into the file store; idempotent.

    A permanent failure (too large, gone) is noted on the attachment and in the timeline; a transient
    one (server down, HTTP 5xx) raises `MediaError` so the broker retries.
    """
    with ctx.db.session() as session:
        row = session.get(Attachment, attachment_id)
        if row is None or row.stored or not row.media_id or (row.note or "").startswith(FAILED_PREFIX):
            return "skipped"
        media_id = row.media_id
    try:
        data, content_type = fetch_media(ctx.settings, media_id)
    except MediaError as exc:
        if not exc.permanent:
            raise
        with ctx.db.session() as session:
            row = session.get(Attachment, attachment_id)
            row.note = f"{FAILED_PREFIX} {exc}"
            ticket_store.add_event(
                session,
                row.message.ticket,
                "attachment-not-fetched",
                changes={"attachment": attachment_id, "name": row.name},
                reason=str(exc),
                at=ctx.clock(),
            )
        log.warning("attachment %s not fetched: %s", attachment_id, exc)
        return "failed"
    sha256 = ctx.files.put(data)
    with ctx.db.session() as session:
        row = session.get(Attachment, attachment_id)
        row.sha256, row.size, row.stored, row.note = sha256, len(data), True, None
        row.content_type = content_type or row.content_type
        ticket_store.add_event(
            session,
            row.message.ticket,
            "attachment-fetched",
            changes={"attachment": attachment_id, "name": row.name, "size": len(data)},
            at=ctx.clock(),
        )
    return "stored"
