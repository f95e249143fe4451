"""Property-based fuzzing of the email parser (what `intake parse-email` and the worker run): every input, a
mutated sample or a mail written from scratch, is a parsed message or a ParseError with a reason; never another
exception, never a hang."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given

from intake.channels.base import ParseError
from intake.channels.email.auto import detect_automatic
from intake.channels.email.channel import to_inbound
from intake.channels.email.parse import parse_email
from intake.core.clean import clean_message
from intake.core.models import InboundMessage
from intake.core.settings import Settings
from tests.faults.strategies import FUZZ, generated_mail, mutated_mail

pytestmark = pytest.mark.faults
SETTINGS = Settings()
SEEN: dict[str, Counter] = {}


def parse(raw: bytes) -> InboundMessage:
    """The worker's parse stage for mail: parse, label automatic mail, shape the message, clean controls out."""
    parsed = parse_email(raw)
    verdict = detect_automatic(parsed.message, SETTINGS.email.our_addresses, SETTINGS.email.instance_marker)
    return clean_message(to_inbound(parsed, verdict, SETTINGS, channel_id="fuzz"))


@FUZZ
@given(raw=mutated_mail())
def test_every_mutated_sample_mail_is_parsed_or_refused_with_a_reason(raw):
    check(raw, "mutated samples")


@FUZZ
@given(raw=generated_mail())
def test_every_generated_mail_is_parsed_or_refused_with_a_reason(raw):
    check(raw, "generated mails")


def check(raw: bytes, kind: str) -> None:
    """Parsed into a storable message, or a ParseError with a reason; counted in SEEN."""
    seen = SEEN.setdefault(kind, Counter())
    try:
        message = parse(raw)
    except ParseError as exc:
        assert str(exc), "a ParseError needs a reason"
        seen["ParseError"] += 1
        return
    assert isinstance(message, InboundMessage) and message.sender
    assert "\r" not in (message.subject or "") and "\n" not in (message.subject or "")
    assert "\x00" not in message.model_dump_json()
    json.dumps(message.model_dump(mode="json"), ensure_ascii=False).encode()  # storable: no lone surrogates
    seen["parsed"] += 1


def test_fuzz_counts_printed():
    print(f"parse-email fuzzing: { {kind: dict(counts) for kind, counts in SEEN.items()} }")
