"""Email threading through the real pipeline: real .eml bytes, accepted and processed on SQLite and PostgreSQL.

The scorer's unit tests (test_scorer.py, next to this file) hand it candidates; here the store has to find
them: a tenant who was only copied, a reply from another client, a stripped References header, a stranger with
the same subject, reopening, the per-sender rate limit, and the signal recorded in the timeline.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from sqlalchemy import select

from intake.channels.email.files import email_raw
from intake.core.models import ChannelName, utcnow
from intake.ingest import accept
from intake.pipeline.process import process_raw
from intake.runtime import Runtime
from store import threads
from store import tickets as ticket_store
from store.models import RawItem, Ticket, TicketMessage

MAILBOX = "maintenance@intake.example"
TENANT = "tenant@example.org"
LANDLORD = "owner@landlords.example"
SUBJECT = "Water leak in the bathroom ceiling"


def eml(
    sender=TENANT,
    *,
    to=(MAILBOX,),
    cc=(),
    subject=SUBJECT,
    body="Water is coming through the bathroom ceiling of unit 101.",
    message_id=None,
    in_reply_to=None,
    references=(),
) -> bytes:
    """A mail as a client sends it: real RFC 5322 bytes."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = message_id or make_msgid(domain=sender.split("@")[1])
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    msg.set_content(body)
    return bytes(msg)


def deliver(rt: Runtime, data: bytes):
    """Store the raw mail and run the whole pipeline on it, as the worker does."""
    (result,) = accept(rt.db, [email_raw(data, "test")], enqueue=False)
    return process_raw(rt, result.raw_id)


def load(rt: Runtime, number: str) -> Ticket:
    with rt.db.session() as session:
        ticket = ticket_store.get_by_number(session, number)
        session.expunge_all()
        return ticket


def threaded_signals(rt: Runtime, number: str) -> list[str]:
    """The signal each threaded message was joined by, as the timeline records it."""
    return [e.changes["signal"] for e in load(rt, number).events if e.kind == "message-threaded"]


def ticket_count(rt: Runtime) -> int:
    with rt.db.session() as session:
        return len(session.execute(select(Ticket.id)).all())


def test_tenant_only_copied_on_the_thread_joins_when_replying(runtime):
    # The owner CCs the mailbox halfway through a conversation with the tenant: ids we never saw.
    first = deliver(
        runtime,
        eml(
            LANDLORD,
            to=(TENANT,),
            cc=(MAILBOX,),
            subject=f"Re: {SUBJECT}",
            in_reply_to="<m2@landlords.example>",
            references=["<m1@example.org>", "<m2@landlords.example>"],
            body="Forwarding to maintenance: the tenant in unit 101 reports a ceiling leak.",
        ),
    )
    # The tenant answers the owner's earlier mail (not the one we got): only the recipient list ties them.
    reply = deliver(
        runtime,
        eml(
            TENANT,
            to=(LANDLORD,),
            cc=(MAILBOX,),
            subject=f"Re: {SUBJECT}",
            in_reply_to="<m1b@landlords.example>",
            references=["<m1@example.org>", "<m1b@landlords.example>"],
            body="It is dripping onto the floor now.",
        ),
    )
    assert first.ticket_number == reply.ticket_number == "EML-000001"
    assert ticket_count(runtime) == 1
    assert threaded_signals(runtime, "EML-000001") == ["participant-subject"]


def test_reply_from_another_client_with_a_different_in_reply_to(runtime):
    original = make_msgid(domain="example.org")
    deliver(runtime, eml(message_id=original))
    # The phone client answers the copy in its own sent folder: unknown In-Reply-To, References still ours.
    by_references = deliver(
        runtime,
        eml(
            subject=f"AW: {SUBJECT}",
            in_reply_to="<sent-copy.77@phone.example.org>",
            references=[original, "<sent-copy.77@phone.example.org>"],
            body="Still leaking.",
        ),
    )
    # A webmail answers with only its own ids: the tenant and the subject carry the thread.
    by_participant = deliver(
        runtime, eml(subject=f"Re: {SUBJECT}", in_reply_to="<webmail.1@example.org>", body="The plumber did not come.")
    )
    assert by_references.ticket_number == by_participant.ticket_number == "EML-000001"
    assert threaded_signals(runtime, "EML-000001") == ["references", "participant-subject"]


def test_references_stripped_but_the_ticket_reference_in_the_subject(runtime):
    deliver(runtime, eml())
    outcome = deliver(runtime, eml(subject="Update on my repair [EML-000001]", body="Any news about the leak?"))
    assert outcome.ticket_number == "EML-000001" and ticket_count(runtime) == 1
    assert threaded_signals(runtime, "EML-000001") == ["ticket-reference"]


def test_stranger_with_the_same_subject_opens_a_probable_follow_up_for_triage(runtime):
    # not urgent: an urgent one is routed at once with a "may relate to" note (tests/intake/pipeline/test_followup_policy.py)
    subject = "Dripping tap in the bathroom"
    deliver(runtime, eml(subject=subject, body="The bathroom tap of unit 101 drips all day."))
    outcome = deliver(
        runtime, eml("neighbour@elsewhere.example", subject=subject, body="The bathroom tap drips here too.")
    )
    assert outcome.ticket_number == "EML-000002"
    stranger = load(runtime, "EML-000002")
    assert stranger.probable_followup_of == "EML-000001" and stranger.needs_review
    assert "probable follow-up of EML-000001" in stranger.review_reasons
    assert [e.changes for e in stranger.events if e.kind == "probable-follow-up"] == [{"of": "EML-000001"}]
    with runtime.db.session() as session:
        queue = [t.number for t in ticket_store.list_tickets(session, needs_review=True)]
    assert "EML-000002" in queue
    assert [m.author for m in load(runtime, "EML-000001").messages] == [TENANT]  # never merged


@pytest.mark.parametrize("reopen", [True, False])
def test_reply_to_a_resolved_ticket_reopens_it_when_configured(runtime, reopen):
    runtime.settings.pipeline.reopen_resolved_on_reply = reopen
    original = make_msgid(domain="example.org")
    deliver(runtime, eml(message_id=original))
    with runtime.db.session() as session:
        ticket = ticket_store.get_by_number(session, "EML-000001")
        ticket_store.change_status(session, ticket, "resolved", actor="staff", reason="fixed", at=utcnow())
    outcome = deliver(
        runtime,
        eml(
            subject=f"Re: {SUBJECT}",
            in_reply_to=original,
            references=[original],
            body="It started leaking again this morning.",
        ),
    )
    assert outcome.ticket_number == "EML-000001"
    ticket = load(runtime, "EML-000001")
    assert len(ticket.messages) == 2
    assert ticket.status == ("in_progress" if reopen else "resolved")
    assert [e.kind for e in ticket.events if e.kind == "reopened"] == (["reopened"] if reopen else [])


def test_sender_over_the_rate_limit_is_appended_then_held_never_dropped(runtime):
    runtime.settings.limits.new_tickets_per_sender_per_hour = 2
    subjects = ["Broken window latch", "No hot water", "Intercom buzzing", "Mould behind the wardrobe"]
    outcomes = [deliver(runtime, eml(subject=s, body=f"{s} in unit 101.")) for s in subjects[:3]]
    assert [o.ticket_number for o in outcomes] == ["EML-000001", "EML-000002", "EML-000002"]
    latest = load(runtime, "EML-000002")
    assert [m.subject for m in latest.messages] == ["No hot water", "Intercom buzzing"]
    assert threaded_signals(runtime, "EML-000002") == ["rate-limit"]
    with runtime.db.session() as session:  # no open ticket left to append to: held for a person
        for number in ("EML-000001", "EML-000002"):
            ticket_store.change_status(
                session,
                ticket_store.get_by_number(session, number),
                "resolved",
                actor="staff",
                reason="fixed",
                at=utcnow(),
            )
    held = deliver(runtime, eml(subject=subjects[3], body="Mould behind the wardrobe in unit 101."))
    assert held.state == "quarantined" and held.outcome == "held: sender over 2 new tickets per hour"
    with runtime.db.session() as session:
        item = session.get(RawItem, held.raw_id)
        assert item.state == "quarantined" and b"Mould behind the wardrobe" in item.payload
    assert ticket_count(runtime) == 2
    runtime.clock = lambda: utcnow() + timedelta(hours=1, minutes=1)  # an hour later the limit has passed
    assert deliver(runtime, eml(subject="Dripping tap", body="The kitchen tap drips.")).ticket_number == "EML-000003"


def test_timeline_records_the_signal_of_each_message(runtime):
    original = make_msgid(domain="example.org")
    deliver(runtime, eml(message_id=original))
    replies = [
        eml(subject=f"Re: {SUBJECT}", in_reply_to=original, references=[original], body="Photo attached soon."),
        eml(subject=f"Re: {SUBJECT}", in_reply_to="<other.client@example.org>", references=[original], body="Worse."),
        eml(subject="Question [EML-000001]", body="When will someone come?"),
        eml(subject=f"Re: {SUBJECT}", body="The ceiling paint is bubbling."),
    ]
    for data in replies:
        deliver(runtime, data)
    expected = ["in-reply-to", "references", "ticket-reference", "participant-subject"]
    assert threaded_signals(runtime, "EML-000001") == expected
    ticket = load(runtime, "EML-000001")
    assert [m.thread_signal for m in ticket.messages] == [None, *expected]
    threaded = [e for e in ticket.events if e.kind == "message-threaded"]
    assert [e.changes["message"] for e in threaded] == [m.id for m in ticket.messages[1:]]
    assert "In-Reply-To <" in threaded[0].reason and "is on EML-000001" in threaded[0].reason


def _ticket(session, number: str, requester: str, active) -> Ticket:
    ticket = Ticket(
        number=number,
        channel="email",
        status="new",
        subject=f"Problem {number}",
        requester=requester,
        created_at=active,
        updated_at=active,
        last_activity_at=active,
        last_inbound_at=active,
    )
    session.add(ticket)
    return ticket


def test_candidates_named_by_the_mail_are_never_crowded_out_by_the_senders_others(db):
    now = utcnow()
    with db.session() as session:
        old = _ticket(session, "EML-000001", TENANT, now - timedelta(days=20))
        session.add(
            TicketMessage(
                ticket=old,
                direction="inbound",
                channel="email",
                author=TENANT,
                message_id_header="<old@example.org>",
                created_at=now - timedelta(days=20),
            )
        )
        for n in range(2, 7):  # newer tickets of the same sender
            _ticket(session, f"EML-{n:06d}", TENANT, now - timedelta(hours=n))
        session.flush()
        found = threads.thread_candidates(
            session,
            channel=ChannelName.EMAIL,
            sender=TENANT,
            message_ids=["<old@example.org>"],
            ticket_reference=None,
            external_ticket_id=None,
            since=now - timedelta(days=90),
            limit=3,
        )
        assert [c.ticket_number for c in found] == ["EML-000001", "EML-000002", "EML-000003"]


def test_recipient_and_subject_candidates_are_bounded_to_recent_tickets(db):
    now = utcnow()
    with db.session() as session:
        for number, days in (("EML-000001", 200), ("EML-000002", 1)):
            ticket = _ticket(session, number, LANDLORD, now - timedelta(days=days))
            ticket.subject = SUBJECT
            session.add(
                TicketMessage(
                    ticket=ticket,
                    direction="inbound",
                    channel="email",
                    author=LANDLORD,
                    recipients=[TENANT, MAILBOX],
                    created_at=now - timedelta(days=days),
                )
            )
        session.flush()

        def candidates(sender, matches=None):
            return [
                c.ticket_number
                for c in threads.thread_candidates(
                    session,
                    channel=ChannelName.EMAIL,
                    sender=sender,
                    message_ids=[],
                    ticket_reference=None,
                    external_ticket_id=None,
                    since=now - timedelta(days=90),
                    subject_matches=matches,
                )
            ]

        assert candidates(TENANT) == ["EML-000002"]  # a recipient, on the recent ticket only
        assert candidates("stranger@example.net") == []
        assert candidates("stranger@example.net", lambda subject: subject == SUBJECT) == ["EML-000002"]
