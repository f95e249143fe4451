"""Parse one stored QContact case or interaction into an `InboundMessage` (worker's parse stage).

The field mapping decides where each value comes from. QContact's own ticket number (`FT…`) is kept as
`external_ticket_id`, and the case id is the conversation, so every interaction joins the case's ticket.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from intake.channels.base import ParseError, RawRecord
from intake.channels.chat import normalize_phone
from intake.channels.qcontact.mapping import MappingError, QContactMapping, load_mapping, pick_text
from intake.core.models import ChannelName, InboundMessage, ThreadHints
from intake.core.settings import Settings
from intake.core.vocabulary import TICKET_PREFIXES


class QContactChannel:
    """Cases and interactions from a QContact contact centre (tickets numbered QC-…)."""

    name = ChannelName.QCONTACT
    ticket_prefix = TICKET_PREFIXES[ChannelName.QCONTACT]

    def parse(self, raw: RawRecord, settings: Settings) -> InboundMessage:
        try:
            mapping = load_mapping(settings.qcontact.mapping_file)
        except MappingError as exc:
            raise ParseError(f"QContact mapping unusable: {exc}") from None
        try:
            envelope = json.loads(raw.payload)
            kind, record = envelope["kind"], envelope["record"]
        except (ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
            raise ParseError(f"stored QContact item is unreadable: {exc}") from None
        return record_to_message(raw, kind, record, mapping, settings.whatsapp.default_region)


def record_to_message(raw: RawRecord, kind: str, record: dict, mapping: QContactMapping, region: str) -> InboundMessage:
    """One case or interaction as a message; ParseError when it names no sender at all."""
    fields = mapping.interaction if kind == "interaction" else mapping.case
    phone = normalize_phone(pick_text(record, fields.phone), region)
    email = pick_text(record, fields.email)
    contact_id = pick_text(record, fields.contact_id)
    sender = phone or (email.strip().lower() if email else None) or (f"qcontact:{contact_id}" if contact_id else None)
    if sender is None:
        raise ParseError(
            f"QContact {kind} {pick_text(record, fields.id)} names no sender "
            f"(looked at: {', '.join(fields.phone + fields.email + fields.contact_id)})"
        )
    case_id = pick_text(record, fields.case_id) if kind == "interaction" else pick_text(record, fields.id)
    ticket_id = pick_text(record, fields.ticket_id)
    text = pick_text(record, fields.text) or ""
    extra = {
        "type": kind,
        "qcontact_id": pick_text(record, fields.id),
        "case_id": case_id,
        "status": pick_text(record, fields.status),
        "source_channel": pick_text(record, fields.source_channel),
    }
    if phone and email:
        extra["email"] = email
    return InboundMessage(
        channel=ChannelName.QCONTACT,
        channel_message_id=raw.channel_id,
        raw_id=raw.id,
        sender=sender,
        sender_name=pick_text(record, fields.name),
        subject=pick_text(record, fields.subject),
        text=text,
        full_text=text,
        thread=ThreadHints(message_id=raw.channel_id, conversation_id=case_id, ticket_reference=ticket_id),
        received_at=raw.received_at,
        sent_at=parse_time(pick_text(record, fields.created_at)),
        external_ticket_id=ticket_id,
        extra={k: v for k, v in extra.items() if v is not None},
    )


def parse_time(value: str | None) -> datetime | None:
    """ISO 8601 (with 'Z') or unix seconds, as UTC; None when absent or unreadable."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
