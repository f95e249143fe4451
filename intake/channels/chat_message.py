"""What the WhatsApp channels share once an item is parsed: the Cloud API and WAHA carry the same messages
(text, media, locations, reactions, edits) and the same delivery receipts, only in different JSON.

Each channel reads its provider's fields into a `ChatContent`; the message and the delivery-report message
are then made here, the same way for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from intake.channels.base import RawRecord
from intake.core.models import AttachmentRef, ChannelName, DeliveryReport, InboundMessage, ThreadHints


@dataclass
class ChatContent:
    """What one chat message says, in our terms."""

    text: str = ""
    attachments: list[AttachmentRef] = field(default_factory=list)
    auto: str | None = None  # why it opens no ticket ("reaction-removed", "message-revoked"…)
    reply_to: str | None = None  # the provider id of the message it quotes, reacts to or edits
    extra: dict = field(default_factory=dict)  # structured facts worth keeping (location, order…)


def reaction(emoji: str, reacts_to: str | None) -> ChatContent:
    """A reaction: readable text, or a removed reaction, which opens nothing."""
    return ChatContent(
        text=f"Reacted {emoji} to a message" if emoji else "",
        auto=None if emoji else "reaction-removed",
        reply_to=reacts_to,
    )


def location_text(location: dict) -> str:
    """'Location: lat,lon name address' — what a dispatcher needs to find the place."""
    parts = [f"Location: {location.get('latitude')},{location.get('longitude')}"]
    parts += [str(location[key]) for key in ("name", "address") if location.get(key)]
    return " ".join(parts)


def chat_message(
    raw: RawRecord,
    channel: ChannelName,
    *,
    message_id: str,
    thread_id: str | None,
    sender: str,
    sender_name: str | None,
    content: ChatContent,
    sent_at: datetime | None,
) -> InboundMessage:
    """The message of one chat item; its conversation is the sender (see `conversation.py`)."""
    return InboundMessage(
        channel=channel,
        channel_message_id=message_id,
        raw_id=raw.id,
        sender=sender,
        sender_name=sender_name,
        text=content.text,
        full_text=content.text,
        attachments=content.attachments,
        thread=ThreadHints(message_id=thread_id, conversation_id=sender, reply_to_channel_id=content.reply_to),
        received_at=raw.received_at,
        sent_at=sent_at,
        auto=content.auto,
        extra=content.extra,
    )


def delivery_message(
    raw: RawRecord, channel: ChannelName, sender: str, report: DeliveryReport, extra: dict, sent_at: datetime | None
) -> InboundMessage:
    """A receipt about one of our outbound messages: it updates that message and opens no ticket."""
    return InboundMessage(
        channel=channel,
        channel_message_id=raw.channel_id,
        raw_id=raw.id,
        sender=sender,
        received_at=raw.received_at,
        sent_at=sent_at,
        delivery_report=report,
        extra=extra,
    )
