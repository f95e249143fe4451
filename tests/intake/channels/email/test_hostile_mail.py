"""Mail that tries to break the store or the requester (#18 defects 3 and 5), through the whole pipeline on
both databases: decoded header values are one line, the requester comes from the address part only, and a
NUL byte in a body or Subject is removed from the ticket (the raw item keeps it)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intake.channels.email.files import email_raw
from intake.channels.email.parse import parse_email
from intake.ingest import accept
from intake.pipeline.process import process_raw
from store.models import RawItem, Ticket, TicketMessage


def _process(runtime, raw: bytes) -> tuple[Ticket, TicketMessage]:
    [result] = accept(runtime.db, [email_raw(raw, "test")], enqueue=False)
    outcome = process_raw(runtime, result.raw_id)
    assert outcome.state == "processed", outcome
    with runtime.db.session() as session:
        ticket = session.execute(select(Ticket)).scalar_one()
        message = session.execute(select(TicketMessage)).scalar_one()
        session.expunge_all()
    return ticket, message


def test_an_encoded_crlf_in_the_display_name_does_not_replace_the_requester(runtime):
    raw = (
        b'From: "=?utf-8?q?Evil=0D=0ABcc:_x@evil.example?=" <real2@example.net>\r\n'
        b"To: help@example.com\r\nSubject: Leak under the sink\r\nMessage-ID: <crlf-1@example.net>\r\n\r\n"
        b"Water everywhere in flat 3.\r\n"
    )
    ticket, message = _process(runtime, raw)
    assert ticket.requester == "real2@example.net" and message.author == "real2@example.net"
    assert "\n" not in (ticket.requester_name or "") and "\r" not in (message.author_name or "")


def test_an_encoded_crlf_in_the_subject_is_stored_as_one_line(runtime):
    raw = (
        b"From: Tenant <tenant@example.net>\r\nTo: help@example.com\r\n"
        b"Subject: =?utf-8?q?Leak=0D=0ABcc:_victim@example.org?=\r\nMessage-ID: <crlf-2@example.net>\r\n\r\n"
        b"Water everywhere in flat 3.\r\n"
    )
    ticket, message = _process(runtime, raw)
    assert ticket.subject == "Leak Bcc: victim@example.org" == message.subject


@pytest.mark.parametrize(
    "header, body",
    [
        (b"Subject: Leak\x00 in the kitchen", b"Water\x00 everywhere in flat 3."),
        (b"Subject: =?utf-8?q?Leak=00_in_the_kitchen?=", b"Water everywhere in flat 3.\x00"),
    ],
)
def test_a_nul_byte_in_a_body_or_subject_still_makes_a_ticket(runtime, header, body):
    raw = (
        b"From: Tenant <tenant@example.net>\r\nTo: help@example.com\r\n"
        + header
        + b"\r\nMessage-ID: <nul@example.net>\r\n\r\n"
        + body
        + b"\r\n"
    )
    ticket, message = _process(runtime, raw)
    assert "\x00" not in ticket.subject and ticket.subject.startswith("Leak")
    assert "\x00" not in message.full_text and "Water" in message.full_text
    with runtime.db.session() as session:
        assert b"\x00" in session.execute(select(RawItem.payload)).scalar_one()  # every byte kept


@pytest.mark.parametrize(
    "header",
    [
        b'From: "=?utf-8?b?RXZpbA0KQmNjOiB4QGV2aWwuZXhhbXBsZQ==?=" <real@example.net>',
        b"From: =?utf-8?q?Evil=0D=0ABcc:_x@evil.example?= <real@example.net>",
        b'From: "=?utf-8?q?Evil=0ABcc:_x@evil.example?=" <real@example.net>, other@example.org',
    ],
)
def test_decoded_display_names_never_hold_line_breaks_and_never_give_the_address(header):
    parsed = parse_email(header + b"\r\nTo: help@example.com\r\nSubject: x\r\n\r\nhi\r\n")
    assert parsed.sender == "real@example.net"
    assert "\r" not in parsed.sender_name and "\n" not in parsed.sender_name
