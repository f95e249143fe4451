"""The one interface every channel sits behind.

Pull channels (IMAP, QContact poller) and push channels (webhooks) both end in `intake.ingest.accept(raw)`;
later the worker asks the channel to `parse` the stored item into an `InboundMessage`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from intake.core.errors import SenderError
from intake.core.models import ChannelName, InboundMessage
from intake.core.settings import Settings


class RawRecord(BaseModel):
    """A stored raw item as the worker hands it to a channel's parser."""

    model_config = ConfigDict(frozen=True)

    id: int
    channel: ChannelName
    channel_id: str
    payload: bytes
    content_type: str
    source: str | None = None
    received_at: datetime


class ParseError(SenderError):
    """The raw item cannot become a message; the text says why (it is stored as the quarantine reason)."""


class Channel(Protocol):
    """What the pipeline needs from a channel."""

    name: ChannelName
    ticket_prefix: str  # e.g. "EML": tickets opened from this channel are numbered EML-000123

    def parse(self, raw: RawRecord, settings: Settings) -> InboundMessage:
        """Turn one stored raw item into a message; raise `ParseError` with a reason when it cannot.

        A channel whose raw item carries attachment bytes (email) also offers `parse_with_contents`, which
        returns `(message, {sha256: bytes})` for the attachments within the limits, so they are stored."""
        ...
