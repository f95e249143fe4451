"""The normalized message every channel produces, and the raw item it came from.

Flow: a channel stores a `RawInput` (bytes, untouched) through `intake.ingest.accept`; later the worker
loads it and the channel's `parse` turns it into one `InboundMessage`. Everything after parsing
(guard, threading, classification, rules) only ever sees `InboundMessage`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


def utcnow() -> datetime:
    """Timezone-aware now in UTC; the one clock the pipeline uses when none is injected."""
    return datetime.now(UTC)


Clock = Callable[[], datetime]  # what code that must be testable at a fixed time takes instead of calling utcnow


class ChannelName(StrEnum):
    EMAIL = "email"
    WHATSAPP = "whatsapp"
    WAHA = "waha"
    QCONTACT = "qcontact"
    INTERNAL = "internal"


class RawInput(BaseModel):
    """What a channel hands to `accept`: the untouched bytes and the channel's own id for them."""

    model_config = ConfigDict(frozen=True)

    channel: ChannelName
    channel_id: str = Field(min_length=1, max_length=998)
    payload: bytes
    content_type: str = "application/octet-stream"
    source: str | None = None  # mailbox name, webhook route, poller: where it came from
    received_at: datetime = Field(default_factory=utcnow)


class AttachmentRef(BaseModel):
    """An attachment as the pipeline knows it; the bytes live in the content-addressed file store."""

    name: str
    content_type: str = "application/octet-stream"
    size: int = 0
    sha256: str | None = None  # None when the part was not stored (over limit, or not fetched yet)
    stored: bool = False
    note: str | None = None  # why it was not stored, e.g. "over the 10 MB per-file limit"
    content_id: str | None = None  # inline images (cid:)
    inline: bool = False
    media_id: str | None = None  # chat providers: id or URL to fetch the media from


class ThreadHints(BaseModel):
    """Everything a channel knows that may tie a message to an earlier one."""

    message_id: str | None = None
    in_reply_to: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    conversation_id: str | None = None  # chat: sender's conversation / QContact case
    ticket_reference: str | None = None  # e.g. "EML-000123" found in the subject, or QContact's own "FT…"
    reply_to_channel_id: str | None = None  # chat: the message this one quotes (WhatsApp context.id)


class DeliveryReport(BaseModel):
    """A report about one of *our* outbound messages: a WhatsApp status, or an email bounce."""

    ref_id: str  # our outbound id as the provider knows it (wamid, Message-ID)
    status: str  # sent / delivered / read / failed / bounced
    recipient: str | None = None
    reason: str | None = None
    at: datetime | None = None


class InboundMessage(BaseModel):
    """One message from a tenant (or a report about ours), in the same shape for every channel."""

    channel: ChannelName
    channel_message_id: str
    raw_id: int | None = None  # the stored raw item this was parsed from
    sender: str  # email address, E.164 phone number, or QContact contact id
    sender_name: str | None = None
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    subject: str | None = None
    text: str = ""  # new text: quoted history and signature removed
    full_text: str = ""  # everything the sender wrote, quotes included: no words are ever lost
    html: str | None = None
    attachments: list[AttachmentRef] = Field(default_factory=list)
    thread: ThreadHints = Field(default_factory=ThreadHints)
    received_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    auto: str | None = None  # why this is automatic mail (auto-replied, bounce, list, loop…), else None
    delivery_report: DeliveryReport | None = None
    external_ticket_id: str | None = None  # the provider's own ticket id (QContact "FT…")
    extra: dict = Field(default_factory=dict)  # channel-specific facts worth keeping (message type, location…)

    @property
    def is_automatic(self) -> bool:
        return self.auto is not None


class ThreadCandidate(BaseModel):
    """A snapshot of an existing ticket that a new message might belong to (built by the store)."""

    ticket_number: str
    status: str
    channel: ChannelName
    subject: str | None = None
    participants: list[str] = Field(default_factory=list)  # senders and recipients seen on the ticket
    message_ids: list[str] = Field(default_factory=list)  # RFC Message-IDs we received and sent on it
    channel_message_ids: list[str] = Field(default_factory=list)  # chat ids (wamid…) on it
    external_ticket_id: str | None = None
    property_id: str | None = None
    unit: str | None = None
    category: str | None = None
    subcategory: str | None = None
    created_at: datetime
    last_activity_at: datetime
    last_inbound_at: datetime | None = None


class ThreadMatch(BaseModel):
    """Which ticket a message joins, and why. `sure=False` with a ticket means 'probable follow-up of'."""

    ticket_number: str | None = None
    sure: bool = False
    signal: str | None = None  # kebab-case name of the deciding signal, e.g. "in-reply-to", "subject-reference"
    score: float = 0.0
    evidence: list[str] = Field(default_factory=list)
    note_only: bool = False  # a possible link shown as "may relate to X" on both tickets, not sent to triage

    @property
    def joins(self) -> bool:
        return self.ticket_number is not None and self.sure

    @property
    def probable_of(self) -> str | None:
        return self.ticket_number if self.ticket_number and not self.sure else None
