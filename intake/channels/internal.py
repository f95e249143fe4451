"""Tickets staff create (a phoned-in report, a walk-in): an internal raw item, numbered INT-…

`intake tickets create` stores the staff member's report as a raw item like any channel's, so it goes through
the same classification and rules and is kept even if processing fails. It always opens a new ticket: staff
said so explicitly, so it is never threaded, rate-limited or taken for automatic mail.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from intake.channels.base import BaseChannel, ParseError, RawRecord
from intake.channels.phone import normalize_phone
from intake.core.models import ChannelName, InboundMessage, RawInput
from intake.core.settings import Settings
from intake.core.vocabulary import TICKET_PREFIXES


class StaffReport(BaseModel):
    """What a staff member enters for a new ticket."""

    created_by: str = Field(min_length=1, max_length=200)  # the staff member: their login or name
    requester: str = Field(min_length=3, max_length=320)  # the tenant's email address or phone number
    requester_name: str | None = Field(default=None, max_length=200)
    subject: str | None = Field(default=None, max_length=998)
    text: str = Field(min_length=1, max_length=100_000)

    @field_validator("created_by", "text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


def requester_address(requester: str, region: str) -> str:
    """The requester as the registry knows senders: a lower-case email address or an E.164 phone number."""
    if "@" in requester:
        address = requester.strip().lower()
        if not _ADDRESS.fullmatch(address):
            raise ValueError(f"{requester!r} is not a valid email address")
        return address
    phone = normalize_phone(requester, region)
    if phone is None:
        raise ValueError(f"{requester!r} is neither an email address nor a phone number")
    return phone


_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")  # a plain addr-spec: what the email channel stores


def report_to_raw(report: StaffReport, region: str, now: datetime) -> RawInput:
    """The raw item for a staff report, with the requester normalised (ValueError when it is unusable)."""
    report = report.model_copy(update={"requester": requester_address(report.requester, region)})
    return RawInput(
        channel=ChannelName.INTERNAL,
        channel_id=f"staff:{uuid.uuid4()}",
        payload=report.model_dump_json().encode(),
        content_type="application/json",
        source=f"staff:{report.created_by}",
        received_at=now,
    )


class InternalChannel(BaseChannel):
    """Reports entered by staff (tickets numbered INT-…); never threaded."""

    name = ChannelName.INTERNAL
    ticket_prefix = TICKET_PREFIXES[ChannelName.INTERNAL]
    threads = False

    def parse(self, raw: RawRecord, settings: Settings) -> InboundMessage:
        try:
            report = StaffReport.model_validate(json.loads(raw.payload))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"stored staff report is unreadable: {exc}") from None
        return InboundMessage(
            channel=ChannelName.INTERNAL,
            channel_message_id=raw.channel_id,
            raw_id=raw.id,
            sender=report.requester,
            sender_name=report.requester_name,
            subject=report.subject,
            text=report.text,
            full_text=report.text,
            received_at=raw.received_at,
            extra={"created_by": report.created_by},
        )


CHANNEL = InternalChannel()
