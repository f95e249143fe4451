"""The WAHA `Channel`: its webhook, its payload files, and the parse of one stored item (an envelope made by
`payload.py`) into an `InboundMessage` in the worker's parse stage.

Media arrive as URLs on the WAHA server (`media.url`); they are recorded as `AttachmentRef.media_id` and
fetched later with the WAHA API key. Acks of our own messages become delivery reports.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from intake.channels.base import BaseChannel, ParseError, RawRecord
from intake.channels.chat_message import ChatContent, chat_message, delivery_message, location_text, reaction
from intake.channels.payload import Split
from intake.channels.phone import normalize_phone
from intake.channels.waha.payload import ACK_EVENTS, read_waha_payload
from intake.channels.waha.webhook import waha_webhook
from intake.channels.webhook import Webhook
from intake.core.models import AttachmentRef, ChannelName, DeliveryReport, InboundMessage
from intake.core.settings import Settings
from intake.core.vocabulary import TICKET_PREFIXES

# WAHA's ack names, and their numbers -1 … 4, in our delivery vocabulary.
_ACK_NAMES = ("ERROR", "PENDING", "SERVER", "DEVICE", "READ", "PLAYED")
_DELIVERY = ("failed", "pending", "sent", "delivered", "read", "played")
ACK_STATUS = dict(zip(_ACK_NAMES, _DELIVERY)) | {str(number): status for number, status in enumerate(_DELIVERY, -1)}


class WahaChannel(BaseChannel):
    """WhatsApp through a self-hosted WAHA server (tickets numbered WA-… like the Cloud API)."""

    name = ChannelName.WAHA
    ticket_prefix = TICKET_PREFIXES[ChannelName.WAHA]
    file_suffixes = frozenset({".json"})

    def webhooks(self, settings: Settings) -> list[Webhook]:
        return [waha_webhook(settings)]

    def read_payload(self, data: bytes, source: str, settings: Settings) -> Split:
        return read_waha_payload(data, source, max_depth=settings.limits.json_max_depth)

    def parse(self, raw: RawRecord, settings: Settings) -> InboundMessage:
        try:
            envelope = json.loads(raw.payload)
            payload = envelope["payload"]
        except (ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
            raise ParseError(f"stored WAHA item is unreadable: {exc}") from None
        region = settings.whatsapp.default_region
        event = envelope.get("event")
        if event in ACK_EVENTS:
            return _parse_ack(raw, envelope, payload, region)
        chat = str(payload.get("from") or "")
        sender_id = payload.get("participant") if chat.endswith("@g.us") else chat
        sender = normalize_phone(sender_id, region, international=True)
        if sender is None:
            raise ParseError(f"sender {sender_id!r} is not a phone number (WAHA chat id)")
        content = _content(event, payload, {"type": event, "session": envelope.get("session")})
        if chat.endswith("@g.us"):
            content.extra["group"] = chat
        return chat_message(
            raw,
            ChannelName.WAHA,
            message_id=raw.channel_id,
            thread_id=payload.get("id"),
            sender=sender,
            sender_name=payload.get("notifyName") or (payload.get("_data") or {}).get("notifyName"),
            content=content,
            sent_at=_timestamp(payload.get("timestamp")),
        )


def _content(event: str | None, payload: dict, extra: dict) -> ChatContent:
    """What one message, reaction or edit event says."""
    content = ChatContent(
        text=payload.get("body") or "", reply_to=(payload.get("replyTo") or {}).get("id"), extra=extra
    )
    media = payload.get("media")
    if isinstance(media, dict) and media.get("url"):
        content.attachments.append(
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
        content.text = location_text({**location, "name": location.get("description")})
        extra["location"] = location
    if event == "message.reaction":
        liked = payload.get("reaction") or {}
        said = reaction(liked.get("text") or "", liked.get("messageId"))
        content.text, content.auto, content.reply_to = said.text, said.auto, said.reply_to
    if event == "message.edited":
        content.reply_to = payload.get("editedMessageId")
        extra["edits"] = content.reply_to
    return content


def _parse_ack(raw: RawRecord, envelope: dict, payload: dict, region: str) -> InboundMessage:
    name = str(payload.get("ackName") or payload.get("ack"))
    chat = str(payload.get("from") or "")
    recipient = normalize_phone(
        payload.get("participant") if chat.endswith("@g.us") else chat, region, international=True
    )
    me = normalize_phone((envelope.get("me") or {}).get("id"), region, international=True)
    report = DeliveryReport(
        ref_id=payload["id"],
        status=ACK_STATUS.get(name.upper(), name.lower()),
        recipient=recipient,
        reason=name if name.upper() == "ERROR" else None,
    )
    extra = {"type": "ack", "ack": payload.get("ack"), "ack_name": payload.get("ackName")}
    return delivery_message(raw, ChannelName.WAHA, me or "waha", report, extra, None)


def _timestamp(value: object) -> datetime | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if seconds > 1e11:  # WAHA's envelope uses milliseconds, the message payload seconds
        seconds /= 1000
    return datetime.fromtimestamp(seconds, tz=UTC)
