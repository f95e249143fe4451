"""A threading case as the labelled file holds it, and the raw input each of its messages becomes.

Email sides become real RFC 5322 bytes (no In-Reply-To/References, as the format promises); WhatsApp sides
become a WhatsApp Cloud API webhook body split by the channel's own reader, so both go the normal ingest path.
"""

from __future__ import annotations

import json
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from intake.channels.email.files import email_raw
from intake.channels.whatsapp.payload import split_cloud_payload
from intake.core.errors import OperatorError
from intake.core.models import RawInput

MAILBOX = "maintenance@intake.example"
KINDS = (
    "follow-up-no-headers",
    "new-issue-same-sender",
    "same-unit-different-topic",
    "same-subject-different-people",
    "urgent-new-issue-same-sender",
    "follow-up-different-subject",
)


class CaseError(OperatorError, ValueError):
    """A case file that cannot be read: the text names the file and line."""


class Side(BaseModel):
    """One message of a case."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    channel: Literal["email", "whatsapp"]
    sender: str = Field(alias="from", min_length=3)
    name: str | None = None
    subject: str | None = None
    body: str
    received_at: datetime
    status: Literal["new", "assigned", "in_progress", "pending", "resolved"] = "assigned"


class Case(BaseModel):
    """An earlier message that opened a ticket, a later one, and whether the later one follows it up."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: Literal[KINDS]  # type: ignore[valid-type]
    earlier: Side
    later: Side
    expect: Literal["follow-up", "new"]
    note: str | None = None

    @model_validator(mode="after")
    def _one_channel(self) -> Case:
        if self.earlier.channel != self.later.channel:
            raise ValueError("both messages of a case use the same channel")
        if self.later.received_at < self.earlier.received_at:
            raise ValueError("the later message is received before the earlier one")
        return self


def load_cases(path: Path) -> list[Case]:
    """Every case of a JSONL file; CaseError names the line of the first bad one."""
    cases, seen = [], set()
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            case = Case.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise CaseError(f"{path}:{number}: {exc}") from None
        if case.id in seen:
            raise CaseError(f"{path}:{number}: duplicate id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    return cases


def to_raw(side: Side, key: str) -> RawInput:
    """The raw item the channel would store for this message; `key` makes its channel id unique."""
    if side.channel == "email":
        return email_raw(_mail_bytes(side, key), "eval-threading").model_copy(update={"received_at": side.received_at})
    (raw,) = split_cloud_payload(_cloud_payload(side, key), "eval-threading")
    return raw.model_copy(update={"received_at": side.received_at})


def _mail_bytes(side: Side, key: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = formataddr((side.name or "", side.sender))
    msg["To"] = MAILBOX
    if side.subject is not None:
        msg["Subject"] = side.subject
    msg["Date"] = format_datetime(side.received_at)
    msg["Message-ID"] = f"<{key}@{side.sender.rsplit('@', 1)[-1]}>"
    msg.set_content(side.body)
    return bytes(msg)


def _cloud_payload(side: Side, key: str) -> bytes:
    wa_id = side.sender.lstrip("+")
    message = {
        "from": wa_id,
        "id": f"wamid.{key}",
        "timestamp": str(int(side.received_at.timestamp())),
        "type": "text",
        "text": {"body": side.body},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550009999", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": side.name or ""}, "wa_id": wa_id}],
        "messages": [message],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body).encode("utf-8")
