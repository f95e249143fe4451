"""Automatic acknowledgements through a real SMTP server (aiosmtpd on loopback), and the loop protections."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intake.channels.email.files import email_raw
from intake.ingest import accept
from intake.pipeline.process import process_raw
from outbound.service import send_outbound
from store.models import Ticket, TicketEvent, TicketMessage
from tests.intake.pipeline.test_pipeline import make_email


@pytest.fixture
def acking(runtime, smtp_inbox):
    email_settings = runtime.settings.email.model_copy(update={"auto_acknowledge": True, "smtp_port": smtp_inbox.port})
    runtime.settings = runtime.settings.model_copy(update={"email": email_settings})
    return runtime


def ingest(runtime, data: bytes):
    (result,) = accept(runtime.db, [email_raw(data, "test")], enqueue=False)
    return process_raw(runtime, result.raw_id)


def outbound_rows(runtime) -> list[TicketMessage]:
    with runtime.db.session() as session:
        return list(
            session.execute(
                select(TicketMessage).where(TicketMessage.direction == "outbound").order_by(TicketMessage.id)
            ).scalars()
        )


def events(runtime, kind: str) -> list[TicketEvent]:
    with runtime.db.session() as session:
        return list(session.execute(select(TicketEvent).where(TicketEvent.kind == kind)).scalars())


def bounce_for(message_id: str, recipient: str) -> bytes:
    """An RFC 3464 delivery status notification, as a mail server writes it."""
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: maintenance@intake.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce.{abs(hash(message_id))}@mx.example.net>
Date: Fri, 20 Nov 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain

Your message to {recipient} could not be delivered: user unknown.

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--BOUNDARY
Content-Type: text/rfc822-headers

Message-ID: {message_id}
From: maintenance@intake.example
To: {recipient}
Subject: [EML-000001] ack

--BOUNDARY--
""".replace("\n", "\r\n").encode()


def test_new_ticket_is_acknowledged_once_with_threading_and_loop_headers(acking, smtp_inbox):
    tenant_mail = make_email(message_id="<first@example.net>")
    assert ingest(acking, tenant_mail).ticket_number == "EML-000001"
    (row,) = outbound_rows(acking)
    assert row.delivery_status == "queued" and row.automatic
    assert send_outbound(acking, row.id) == "sent"
    assert send_outbound(acking, row.id).startswith("skipped")  # a duplicate broker message sends nothing
    (sent,) = smtp_inbox.messages
    assert sent["To"] == "maria@example.net" and sent["Subject"].startswith("[EML-000001]")
    assert sent["In-Reply-To"] == "<first@example.net>" and sent["Auto-Submitted"] == "auto-replied"
    assert sent["X-Loop"] == "intake" and sent["Message-ID"].startswith("<intake.EML-000001.")
    assert outbound_rows(acking)[0].delivery_status == "sent"
    # The tenant answers our acknowledgement from another client: it joins the ticket.
    reply = make_email(
        subject="Re: [EML-000001] Leak", body="Thanks, the water is off now.", in_reply_to=sent["Message-ID"]
    )
    assert ingest(acking, reply).outcome.startswith("threaded onto EML-000001")


def test_our_own_mail_coming_back_never_opens_a_ticket(acking, smtp_inbox):
    ingest(acking, make_email())
    send_outbound(acking, outbound_rows(acking)[0].id)
    echoed = smtp_inbox.messages[0].as_bytes()  # e.g. a forwarding rule sent it back to our mailbox
    outcome = ingest(acking, echoed)
    assert outcome.outcome.startswith("dropped") and outcome.ticket_number is None
    with acking.db.session() as session:
        assert len(session.execute(select(Ticket)).all()) == 1


def test_hard_bounce_is_recorded_and_the_address_is_not_answered_again(acking, smtp_inbox):
    ingest(acking, make_email(sender="gone@example.org", name="Gone Tenant"))
    (ack,) = outbound_rows(acking)
    send_outbound(acking, ack.id)
    outcome = ingest(acking, bounce_for(ack.message_id_header, "gone@example.org"))
    assert outcome.outcome == "delivery report: bounced" and outcome.ticket_number == "EML-000001"
    assert outbound_rows(acking)[0].delivery_status == "bounced"
    assert events(acking, "delivery-failed")
    ingest(
        acking,
        make_email(
            sender="gone@example.org",
            name="Gone Tenant",
            subject="Another problem",
            body="The hallway light is broken.",
        ),
    )
    assert len(outbound_rows(acking)) == 1  # no acknowledgement for the second ticket
    (suppressed,) = events(acking, "auto-reply-suppressed")
    assert "hard-bounced" in suppressed.reason


def test_auto_replies_are_capped_per_recipient_and_a_loop_is_flagged(acking):
    limits = acking.settings.limits.model_copy(update={"auto_replies_per_recipient_per_day": 2})
    acking.settings = acking.settings.model_copy(update={"limits": limits})
    problems = [
        ("Broken fridge", "The fridge is warm inside."),
        ("Noisy neighbours", "Loud music every night."),
        ("Rent receipt", "Could I get a receipt for October rent?"),
    ]
    for subject, body in problems:
        ingest(acking, make_email(subject=subject, body=body))
    assert len(outbound_rows(acking)) == 2
    with acking.db.session() as session:
        third = session.execute(select(Ticket).where(Ticket.number == "EML-000003")).scalar_one()
        assert "suspected-loop" in third.tags and third.needs_review
