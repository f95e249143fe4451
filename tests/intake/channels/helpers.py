"""Shared helpers for the chat channel tests: turn split items into stored-record shape and parse them."""

from __future__ import annotations

from datetime import UTC, datetime

from intake.channels.base import RawRecord
from intake.core.models import RawInput

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def as_record(item: RawInput, raw_id: int = 1) -> RawRecord:
    return RawRecord(
        id=raw_id,
        channel=item.channel,
        channel_id=item.channel_id,
        payload=item.payload,
        content_type=item.content_type,
        source=item.source,
        received_at=NOW,
    )
