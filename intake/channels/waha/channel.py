"""Parse one stored WAHA item (envelope made by `payload.py`) into an `InboundMessage` in the worker.

Media arrive as URLs on the WAHA server (`media.url`); they are recorded as `AttachmentRef.media_id`
and fetched later with the WAHA API key. Acks of our own messages become delivery reports.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from intake.channels.base import ParseError, RawRecord
from intake.channels.chat import normalize_phone
from intake.channels.whatsapp.channel import location_text
from intake.core.models import AttachmentRef, ChannelName, DeliveryReport, InboundMessage, ThreadHints
from intake.core.settings import Settings
from intake.core.vocabulary import TICKET_PREFIXES

# WAHA's ackName values, in our delivery vocabulary.
ACK_STATUS = {
    "ERROR": "failed",
    "PENDING": "pending",
    "SERVER": "sent",
    "DEVICE": "delivered",
    "READ": "read",
    "PLAYED": "played",
    "-1": "failed",
    "0": "pending",
    "1": "sent",
    "2": "delivered",
    "3": "read",
    "4": "played",
}


class WahaChannel:
    """WhatsApp through a self-hosted WAHA server (tickets numbered WA-… like the Cloud API)."""

    name = ChannelName.WAHA
    ticket_prefix = TICKET_PREFIXES[ChannelName.WAHA]

    def parse(self, raw: RawRecord, settings: Settings) -> InboundMessage:
        try:
            envelope = json.loads(raw.payload)
            payload = envelope["payload"]
        except (ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
            raise ParseError(f"stored WAHA item is unreadable: {exc}") from None
        region = settings.whatsapp.default_region
        event = envelope.get("event")
        if event in {"message.ack", "message.ack.group"}:
            return _parse_ack(raw, envelope, payload, region)
        chat = str(payload.get("from") or "")
        sender_id = payload.get("participant") if chat.endswith("@g.us") else chat
        sender = normalize_phone(sender_id, region, international=True)
        if sender is None:
            raise ParseError(f"sender {sender_id!r} is not a phone number (WAHA chat id)")
        text, attachments, auto = payload.get("body") or "", [], None
        extra = {"type": event, "session": envelope.get("session")}
        reply_to = (payload.get("replyTo") or {}).get("id")
        media = payload.get("media")
        if isinstance(media, dict) and media.get("url"):
            attachments.append(
                AttachmentRef(
                    name=media.get("filename") or media["url"].rsplit("/", 1)[-1],
                    content_type=media.get("mimetype") or "application/octet-stream",
                    media_id=media["url"],
                    note="not fetched yet",
                )
            )
        elif payload.get("hasMedia"):
            extra["media_missing"] = (media or {}).get("error") or "WAHA did not download the media"
        if isinstance(payload.get("location"), dict):
            location = payload["location"]
            text = location_text({**location, "name": location.get("description")})
            extra["location"] = location
        if event == "message.reaction":
            reaction = payload.get("reaction") or {}
            emoji = reaction.get("text") or ""
            text = f"Reacted {emoji} to a message" if emoji else ""
            auto = None if emoji else "reaction-removed"
            reply_to = reaction.get("messageId")
        if event == "message.edited":
            reply_to = payload.get("editedMessageId")
            extra["edits"] = reply_to
        if chat.endswith("@g.us"):
            extra["group"] = chat
        name = payload.get("notifyName") or (payload.get("_data") or {}).get("notifyName")
        return InboundMessage(
            channel=ChannelName.WAHA,
            channel_message_id=raw.channel_id,
            raw_id=raw.id,
            sender=sender,
            sender_name=name,
            text=text,
            full_text=text,
            attachments=attachments,
            thread=ThreadHints(message_id=payload.get("id"), conversation_id=sender, reply_to_channel_id=reply_to),
            received_at=raw.received_at,
            sent_at=_timestamp(payload.get("timestamp")),
            auto=auto,
            extra=extra,
        )


def _parse_ack(raw: RawRecord, envelope: dict, payload: dict, region: str) -> InboundMessage:
    name = str(payload.get("ackName") or payload.get("ack"))
    chat = str(payload.get("from") or "")
    recipient = normalize_phone(
        payload.get("participant") if chat.endswith("@g.us") else chat, region, international=True
    )
    me = normalize_phone((envelope.get("me") or {}).get("id"), region, international=True)
    return InboundMessage(
        channel=ChannelName.WAHA,
        channel_message_id=raw.channel_id,
        raw_id=raw.id,
        sender=me or "waha",
        received_at=raw.received_at,
        delivery_report=DeliveryReport(
            ref_id=payload["id"],
            status=ACK_STATUS.get(name.upper(), name.lower()),
            recipient=recipient,
            reason=name if name.upper() == "ERROR" else None,
        ),
        extra={"type": "ack", "ack": payload.get("ack"), "ack_name": payload.get("ackName")},
    )


def _timestamp(value: object) -> datetime | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if seconds > 1e11:  # WAHA's envelope uses milliseconds, the message payload seconds
        seconds /= 1000
    return datetime.fromtimestamp(seconds, tz=UTC)
