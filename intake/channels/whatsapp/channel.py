"""Parse one stored Cloud API item (an envelope made by `payload.py`) into an `InboundMessage`.

Runs in the worker's parse stage. Each message type becomes text a dispatcher can read plus the
structured facts in `extra`; media become `AttachmentRef`s with the Graph media id, fetched later by
the media downloader; statuses become `delivery_report`s about our outbound messages and open no ticket.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from intake.channels.base import ParseError, RawRecord
from intake.channels.chat import normalize_phone
from intake.core.models import AttachmentRef, ChannelName, DeliveryReport, InboundMessage, ThreadHints
from intake.core.settings import Settings
from intake.core.vocabulary import TICKET_PREFIXES
from intake.media import FAILED_PREFIX

MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/aac": "aac",
    "application/pdf": "pdf",
}


class WhatsAppChannel:
    """The WhatsApp Business Cloud API channel (tickets numbered WA-…)."""

    name = ChannelName.WHATSAPP
    ticket_prefix = TICKET_PREFIXES[ChannelName.WHATSAPP]

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
        extra = {"type": message.get("type"), **content.pop("extra", {})}
        if context.get("forwarded") or context.get("frequently_forwarded"):
            extra["forwarded"] = "many-times" if context.get("frequently_forwarded") else True
        if message.get("referral"):
            extra["referral"] = message["referral"]
        if envelope.get("metadata"):
            extra["business_phone_number_id"] = envelope["metadata"].get("phone_number_id")
        contact = envelope.get("contact") or {}
        text = content.get("text", "")
        return InboundMessage(
            channel=ChannelName.WHATSAPP,
            channel_message_id=message["id"],
            raw_id=raw.id,
            sender=sender,
            sender_name=(contact.get("profile") or {}).get("name"),
            text=text,
            full_text=text,
            attachments=content.get("attachments", []),
            thread=ThreadHints(
                message_id=message["id"],
                conversation_id=sender,
                reply_to_channel_id=content.get("reply_to") or context.get("id"),
            ),
            received_at=raw.received_at,
            sent_at=_timestamp(message.get("timestamp")),
            auto=content.get("auto"),
            extra=extra,
        )


def describe_content(message: dict, value_errors: list | None = None) -> dict:
    """Text, attachments, auto reason, quoted id and extra facts for one message of any known type."""
    kind = message.get("type")
    body = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        return {"text": body.get("body", "")}
    if kind in MEDIA_TYPES:
        return _media(kind, body, message["id"])
    if kind == "location":
        return {"text": location_text(body), "extra": {"location": body}}
    if kind == "contacts":
        return _contacts(message.get("contacts") or [])
    if kind == "interactive":
        return _interactive(body, value_errors)
    if kind == "button":
        return {"text": body.get("text", ""), "extra": {"button_payload": body.get("payload")}}
    if kind == "reaction":
        emoji = body.get("emoji") or ""
        return {
            "text": f"Reacted {emoji} to a message" if emoji else "",
            "auto": None if emoji else "reaction-removed",
            "reply_to": body.get("message_id"),
            "extra": {"reaction": emoji or None},
        }
    if kind == "order":
        items = ", ".join(
            f"{i.get('quantity')} × {i.get('product_retailer_id')}" for i in body.get("product_items", [])
        )
        return {"text": f"Order: {items}. {body.get('text') or ''}".strip(), "extra": {"order": body}}
    if kind == "edit":
        inner = dict(body.get("message") or {}, id=message["id"])
        content = describe_content(inner) if inner.get("type") else {"text": ""}
        content["reply_to"] = body.get("original_message_id")
        content.setdefault("extra", {})["edits"] = body.get("original_message_id")
        return content
    if kind == "revoke":
        return {
            "text": "",
            "auto": "message-revoked",
            "reply_to": body.get("original_message_id"),
            "extra": {"revokes": body.get("original_message_id")},
        }
    if kind == "system":
        return {"text": body.get("body", ""), "auto": "whatsapp-system", "extra": {"system": body}}
    if kind == "request_welcome":
        return {"text": "", "auto": "welcome-request"}
    errors = message.get("errors") or value_errors or []
    titles = "; ".join(str(e.get("title") or e.get("message")) for e in errors if isinstance(e, dict))
    return {
        "text": f"[WhatsApp could not deliver this message's content: {titles or kind}]",
        "extra": {"errors": errors, "unsupported": body or None},
    }


def location_text(location: dict) -> str:
    """'Location: lat,lon name address' — what a dispatcher needs to find the place."""
    parts = [f"Location: {location.get('latitude')},{location.get('longitude')}"]
    parts += [str(location[key]) for key in ("name", "address") if location.get(key)]
    return " ".join(parts)


def _media(kind: str, body: dict, message_id: str) -> dict:
    mime = (body.get("mime_type") or "application/octet-stream").split(";")[0].strip()
    name = body.get("filename") or f"{kind}-{body.get('id') or message_id}.{_EXTENSIONS.get(mime, 'bin')}"
    # Only the Graph media id is fetched (with our token, from graph_base_url). A `url` without an id is not
    # one of ours to fetch: handing it to the downloader would take the WAHA-by-URL path.
    media_id = body.get("id") if isinstance(body.get("id"), str) and body.get("id") else None
    attachment = AttachmentRef(
        name=name,
        content_type=mime,
        media_id=media_id,
        note="not fetched yet" if media_id else f"{FAILED_PREFIX} the message has no media id",
    )
    extra = {"media": {k: body[k] for k in ("id", "sha256", "url", "voice", "animated") if k in body}}
    return {"text": body.get("caption") or "", "attachments": [attachment], "extra": extra}


def _contacts(contacts: list) -> dict:
    shown = []
    for contact in contacts:
        name = (contact.get("name") or {}).get("formatted_name") or "unnamed"
        phones = ", ".join(p.get("phone", "") for p in contact.get("phones") or [])
        shown.append(f"{name} ({phones})" if phones else name)
    return {"text": "Shared contact: " + "; ".join(shown), "extra": {"contacts": contacts}}


def _interactive(body: dict, value_errors: list | None) -> dict:
    kind = body.get("type")
    reply = body.get(kind) if isinstance(body.get(kind), dict) else {}
    if kind == "button_reply":
        return {"text": reply.get("title", ""), "extra": {"reply_id": reply.get("id")}}
    if kind == "list_reply":
        text = " — ".join(filter(None, [reply.get("title"), reply.get("description")]))
        return {"text": text, "extra": {"reply_id": reply.get("id")}}
    if kind == "nfm_reply":
        return {"text": reply.get("body", ""), "extra": {"flow_response": reply.get("response_json")}}
    if kind:
        return {
            "text": f"[{kind.replace('_', ' ')}: {reply.get('response', '')}]".replace(": ]", "]"),
            "auto": "interactive-system",
            "extra": {"interactive": body},
        }
    titles = "; ".join(str(e.get("title")) for e in value_errors or [] if isinstance(e, dict))
    return {
        "text": f"[interactive reply WhatsApp could not read: {titles or 'no content'}]",
        "extra": {"errors": value_errors or []},
    }


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
    return InboundMessage(
        channel=ChannelName.WHATSAPP,
        channel_message_id=raw.channel_id,
        raw_id=raw.id,
        sender=business or "whatsapp",
        received_at=raw.received_at,
        sent_at=_timestamp(status.get("timestamp")),
        delivery_report=DeliveryReport(
            ref_id=status["id"],
            status=status["status"],
            recipient=recipient,
            reason=reason,
            at=_timestamp(status.get("timestamp")),
        ),
        extra={
            "type": "status",
            "conversation": status.get("conversation"),
            "pricing": status.get("pricing"),
            "tracker": status.get("biz_opaque_callback_data"),
            "errors": errors,
        },
    )


def _timestamp(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
