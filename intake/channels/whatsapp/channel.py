"""The WhatsApp Cloud API `Channel`: its webhook, its payload files, and the parse of one stored item (an
envelope made by `payload.py`) into an `InboundMessage` in the worker's parse stage.

Each message type becomes text and facts (`content.py`); statuses become `delivery_report`s about our outbound
messages and open no ticket.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from intake.channels.base import BaseChannel, ParseError, RawRecord
from intake.channels.chat_message import chat_message, delivery_message
from intake.channels.payload import Split
from intake.channels.phone import normalize_phone
from intake.channels.webhook import Webhook
from intake.channels.whatsapp.content import describe_content
from intake.channels.whatsapp.payload import read_cloud_payload
from intake.channels.whatsapp.webhook import cloud_webhook
from intake.core.models import ChannelName, DeliveryReport, InboundMessage
from intake.core.settings import Settings
from intake.core.vocabulary import TICKET_PREFIXES


class WhatsAppChannel(BaseChannel):
    """The WhatsApp Business Cloud API channel (tickets numbered WA-…)."""

    name = ChannelName.WHATSAPP
    ticket_prefix = TICKET_PREFIXES[ChannelName.WHATSAPP]
    file_suffixes = frozenset({".json"})

    def webhooks(self, settings: Settings) -> list[Webhook]:
        return [cloud_webhook(settings)]

    def read_payload(self, data: bytes, source: str, settings: Settings) -> Split:
        return read_cloud_payload(data, source, max_depth=settings.limits.json_max_depth)

    def parse(self, raw: RawRecord, settings: Settings) -> InboundMessage:
        try:
            envelope = json.loads(raw.payload)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"stored WhatsApp item is not JSON: {exc}") from None
        region = settings.whatsapp.default_region
        if envelope.get("kind") == "status":
            return _parse_status(raw, envelope, region)
        message = envelope.get("message")
        if not isinstance(message, dict) or "id" not in message:
            raise ParseError("stored WhatsApp item has no message")
        sender = normalize_phone(message.get("from"), region, international=True)
        if sender is None:
            raise ParseError(f"sender {message.get('from')!r} is not a phone number")
        content = describe_content(message, envelope.get("errors"))
        context = message.get("context") or {}
        content.reply_to = content.reply_to or context.get("id")
        content.extra = {"type": message.get("type"), **content.extra}
        if context.get("forwarded") or context.get("frequently_forwarded"):
            content.extra["forwarded"] = "many-times" if context.get("frequently_forwarded") else True
        if message.get("referral"):
            content.extra["referral"] = message["referral"]
        if envelope.get("metadata"):
            content.extra["business_phone_number_id"] = envelope["metadata"].get("phone_number_id")
        contact = envelope.get("contact") or {}
        return chat_message(
            raw,
            ChannelName.WHATSAPP,
            message_id=message["id"],
            thread_id=message["id"],
            sender=sender,
            sender_name=(contact.get("profile") or {}).get("name"),
            content=content,
            sent_at=_timestamp(message.get("timestamp")),
        )


def _parse_status(raw: RawRecord, envelope: dict, region: str) -> InboundMessage:
    status = envelope.get("status") or {}
    if not status.get("id") or not status.get("status"):
        raise ParseError("stored WhatsApp status has no id or status")
    recipient = normalize_phone(
        status.get("recipient_participant_id") or status.get("recipient_id"), region, international=True
    )
    errors = status.get("errors") or []
    reason = "; ".join(f"{e.get('code')} {e.get('title')}" for e in errors if isinstance(e, dict)) or None
    business = normalize_phone((envelope.get("metadata") or {}).get("display_phone_number"), region, international=True)
    report = DeliveryReport(
        ref_id=status["id"],
        status=status["status"],
        recipient=recipient,
        reason=reason,
        at=_timestamp(status.get("timestamp")),
    )
    extra = {
        "type": "status",
        "conversation": status.get("conversation"),
        "pricing": status.get("pricing"),
        "tracker": status.get("biz_opaque_callback_data"),
        "errors": errors,
    }
    return delivery_message(
        raw, ChannelName.WHATSAPP, business or "whatsapp", report, extra, _timestamp(status.get("timestamp"))
    )


def _timestamp(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
