"""The thread scorer: each signal alone, the deciding signal recorded, and the three hard cases
(mailbox CC'd halfway, a reply from another client with another In-Reply-To, References stripped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from intake.channels.email.threading import normalize_subject, score_email_thread
from intake.core.models import ChannelName, InboundMessage, ThreadCandidate, ThreadHints

NOW = datetime(2026, 3, 12, 10, 0, tzinfo=UTC)
MARKER = "intake"
OURS = "<intake.EML-000123.5f2a@intake.example>"  # outbound ids look like <marker.TICKET.random@domain>


def ticket(
    number="EML-000123",
    *,
    subject="Water leak in bathroom",
    participants=("tenant@example.org",),
    message_ids=("<first@mail.example.org>", OURS),
    status="open",
    days_idle=2,
    unit=None,
) -> ThreadCandidate:
    return ThreadCandidate(
        ticket_number=number,
        status=status,
        channel=ChannelName.EMAIL,
        subject=subject,
        participants=list(participants),
        message_ids=list(message_ids),
        unit=unit,
        created_at=NOW - timedelta(days=10),
        last_activity_at=NOW - timedelta(days=days_idle),
    )


def mail(
    *,
    sender="tenant@example.org",
    subject="Re: Water leak in bathroom",
    in_reply_to=(),
    references=(),
    reference=None,
    extra=None,
) -> InboundMessage:
    return InboundMessage(
        channel=ChannelName.EMAIL,
        channel_message_id="<new@mail.example.org>",
        sender=sender,
        subject=subject,
        received_at=NOW,
        extra=extra or {},
        thread=ThreadHints(
            message_id="<new@mail.example.org>",
            in_reply_to=list(in_reply_to),
            references=list(references),
            ticket_reference=reference,
        ),
    )


@pytest.mark.parametrize(
    ("message", "candidates", "number", "sure", "signal"),
    [
        pytest.param(
            mail(in_reply_to=[OURS]), [ticket()], "EML-000123", True, "in-reply-to", id="in-reply-to our outbound id"
        ),
        pytest.param(
            mail(references=["<x@y>", "<first@mail.example.org>"]),
            [ticket()],
            "EML-000123",
            True,
            "references",
            id="references",
        ),
        pytest.param(
            mail(subject="Something else [EML-000123]", reference="EML-000123"),
            [ticket()],
            "EML-000123",
            True,
            "ticket-reference",
            id="ticket reference from a participant",
        ),
        pytest.param(
            mail(sender="stranger@example.net", subject="Fwd: old mail", reference="EML-000123"),
            [ticket()],
            "EML-000123",
            False,
            "ticket-reference",
            id="bare reference from a stranger: probable",
        ),
        pytest.param(
            mail(sender="stranger@example.net"),
            [ticket()],
            "EML-000123",
            False,
            "subject",
            id="stranger with the same subject never joins",
        ),
        pytest.param(mail(subject="Heating broken"), [ticket()], None, False, None, id="participant, other subject"),
        pytest.param(
            mail(sender="stranger@example.net", subject="Heating broken"),
            [ticket()],
            None,
            False,
            None,
            id="nothing in common",
        ),
        pytest.param(
            mail(),
            [ticket(days_idle=90)],
            "EML-000123",
            False,
            "participant-subject",
            id="participant, same subject, but long idle: probable",
        ),
        pytest.param(
            mail(),
            [ticket(status="closed")],
            "EML-000123",
            False,
            "participant-subject",
            id="participant, same subject, closed ticket: probable",
        ),
    ],
)
def test_signals(message, candidates, number, sure, signal):
    match = score_email_thread(message, candidates, MARKER)
    assert (match.ticket_number, match.sure, match.signal) == (number, sure, signal)
    assert match.evidence


@pytest.mark.parametrize(
    ("message", "homes", "number", "signal"),
    [
        pytest.param(
            mail(subject="Neighbour noise"),
            {("HBR", "4B")},
            "EML-000123",
            "participant-unit",
            id="participant writing about their own unit: probable",
        ),
        pytest.param(
            mail(sender="flatmate@example.net"),
            {("HBR", "4B")},
            "EML-000123",
            "subject",
            id="a stranger who lives in the ticket's unit, same subject: probable",
        ),
        pytest.param(
            mail(sender="neighbour@example.net"),
            {("HBR", "2A")},
            None,
            None,
            id="a registered tenant of another unit with the same subject: their own ticket",
        ),
    ],
)
def test_the_senders_home_weighs_in(message, homes, number, signal):
    match = score_email_thread(message, [ticket(unit="4B")], MARKER, homes=homes)
    assert (match.ticket_number, match.sure, match.signal) == (number, False, signal)


def test_mailbox_cc_d_halfway_through():
    # The thread began between tenant and caretaker; we only saw the caretaker's mail that CC'd us. The
    # tenant's answer replies to a message we never received, and its References were cut by their client.
    seen = ticket(
        subject="Broken window, flat 2",
        participants=["tenant@example.org", "caretaker@example.org"],
        message_ids=["<caretaker.7@example.org>"],
    )
    answer = mail(
        subject="RE: Broken window, flat 2",
        in_reply_to=["<unseen.3@example.org>"],
        references=["<unseen.3@example.org>"],
    )
    match = score_email_thread(answer, [seen, ticket("EML-000200", subject="Rent")], MARKER)
    assert (match.ticket_number, match.sure, match.signal) == ("EML-000123", True, "participant-subject")


def test_reply_from_another_client_with_a_different_in_reply_to():
    # Answered on the phone to the copy in another mailbox: In-Reply-To is unknown, References still name ours.
    answer = mail(
        subject="AW: Water leak in bathroom",
        in_reply_to=["<copy.9@phone.example.org>"],
        references=[OURS, "<copy.9@phone.example.org>"],
    )
    other = ticket("EML-000999", message_ids=["<intake.EML-000999.77@intake.example>"])
    match = score_email_thread(answer, [ticket(), other], MARKER)
    assert (match.ticket_number, match.sure, match.signal) == ("EML-000123", True, "references")
    assert "one of ours" in match.evidence[0]


def test_references_stripped_falls_back_to_the_subject_reference():
    answer = mail(subject="SV: Water leak in bathroom [EML-000123]", reference="EML-000123")
    other = ticket("EML-000124", subject="Water leak in bathroom")  # same subject, another tenant's ticket
    match = score_email_thread(answer, [other, ticket()], MARKER)
    assert (match.ticket_number, match.sure, match.signal) == ("EML-000123", True, "ticket-reference")


def test_our_message_id_names_its_ticket_even_when_the_store_lost_it():
    lost = ticket(message_ids=[])
    answer = mail(subject="Something new", in_reply_to=["<intake.EML-000123.9c1d@intake.example>"])
    match = score_email_thread(answer, [lost, ticket("EML-000124", message_ids=[])], MARKER)
    assert (match.ticket_number, match.sure, match.signal) == ("EML-000123", True, "in-reply-to")


def test_id_link_beats_a_newer_same_subject_ticket():
    older = ticket(days_idle=20)
    newer = ticket("EML-000321", message_ids=["<z@intake>"], days_idle=0)
    match = score_email_thread(mail(in_reply_to=["<first@mail.example.org>"]), [newer, older], MARKER)
    assert match.ticket_number == "EML-000123" and match.signal == "in-reply-to"


def test_no_candidates():
    match = score_email_thread(mail(), [], MARKER)
    assert match.ticket_number is None and not match.joins


@pytest.mark.parametrize(
    ("subject", "normalized"),
    [
        ("Re: AW: Fwd: Water leak", "water leak"),
        ("SV: [EML-000123] Water leak", "water leak"),
        ("RE[2]: Water   leak", "water leak"),
        ("WG: Antw: water leak", "water leak"),
        ("回复：Water leak", "water leak"),
    ],
)
def test_normalize_subject(subject, normalized):
    assert normalize_subject(subject) == normalized
