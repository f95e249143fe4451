"""The follow-up policy through the real pipeline (intake/pipeline/followup.py): a sender's open ticket is not
evidence that a new message continues it. Real .eml bytes and WhatsApp Cloud API payloads, SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from intake.ingest import accept
from intake.pipeline.process import process_raw
from intake.threading_eval.cases import Side, to_raw
from store import tickets as ticket_store

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def send(rt, channel, sender, body, at, subject=None, key=None):
    """One message as the channel stores it, processed by the pipeline at time `at`."""
    rt.clock = lambda: at
    side = Side.model_validate(
        {"channel": channel, "from": sender, "subject": subject, "body": body, "received_at": at.isoformat()}
    )
    (result,) = accept(rt.db, [to_raw(side, key or f"m{at.timestamp():.0f}")], enqueue=False)
    return process_raw(rt, result.raw_id)


def load(rt, number):
    with rt.db.session() as session:
        ticket = ticket_store.get_by_number(session, number)
        session.expunge_all()
        return ticket


def test_an_emergency_from_a_sender_with_an_open_lease_ticket_is_routed_not_parked(runtime, stub_broker):
    send(
        runtime,
        "email",
        "aisha.bello@example.net",
        "I would like to renew my lease for PH1. What are the terms?",
        T0,
        subject="Lease renewal - PH1",
    )
    outcome = send(
        runtime,
        "email",
        "aisha.bello@example.net",
        "The lift is stuck between floors 3 and 4 with my mother inside! Please send someone now.",
        T0 + timedelta(days=4),
        subject="EMERGENCY lift stuck with my mother inside",
    )
    lift = load(runtime, outcome.ticket_number)
    assert outcome.ticket_number == "EML-000002" and lift.urgency == "urgent"
    assert lift.probable_followup_of is None and not lift.needs_review and lift.team != "dispatch"


def test_a_reused_subject_does_not_carry_a_new_emergency_into_the_old_ticket(runtime, stub_broker):
    send(
        runtime,
        "email",
        "maria@example.net",
        "Slow leak under the kitchen sink in 101.",
        T0,
        subject="Leak under the kitchen sink",
    )
    outcome = send(
        runtime,
        "email",
        "maria@example.net",
        "Not about the sink: there is smoke coming out of the "
        "electrical panel in the hallway and a burning smell! We left the flat.",
        T0 + timedelta(days=1),
        subject="Re: Leak under the kitchen sink",
    )
    assert outcome.ticket_number == "EML-000002"
    smoke = load(runtime, "EML-000002")
    assert smoke.subcategory == "electrical" and smoke.probable_followup_of is None
    assert [m.author for m in load(runtime, "EML-000001").messages] == ["maria@example.net"]


def test_the_same_topic_still_joins_without_headers(runtime, stub_broker):
    send(
        runtime,
        "email",
        "maria@example.net",
        "Slow leak under the kitchen sink in 101.",
        T0,
        subject="Leak under the kitchen sink",
    )
    outcome = send(
        runtime,
        "email",
        "maria@example.net",
        "Any news on the plumber? It drips more today.",
        T0 + timedelta(days=1),
        subject="Re: Leak under the kitchen sink",
    )
    assert outcome.ticket_number == "EML-000001"


def test_an_urgent_same_subject_from_a_stranger_opens_its_own_ticket_with_a_note_on_both(runtime, stub_broker):
    subject = "Water leak in the bathroom ceiling"
    send(
        runtime,
        "email",
        "maria@example.net",
        "Water is coming through the bathroom ceiling of 101.",
        T0,
        subject=subject,
    )
    outcome = send(
        runtime,
        "email",
        "neighbour@elsewhere.example",
        "Water is leaking from my bathroom ceiling too.",
        T0 + timedelta(hours=1),
        subject=subject,
    )
    stranger, first = load(runtime, outcome.ticket_number), load(runtime, "EML-000001")
    assert stranger.number == "EML-000002" and stranger.probable_followup_of == "EML-000001"
    assert not any(r.startswith("probable follow-up") for r in stranger.review_reasons)
    assert [e.changes for e in stranger.events if e.kind == "may-relate"] == [{"to": "EML-000001"}]
    assert [e.changes for e in first.events if e.kind == "may-relate"] == [{"to": "EML-000002"}]
    assert "may relate to EML-000002" in next(e.reason for e in first.events if e.kind == "may-relate")


def test_a_chat_emergency_inside_the_conversation_window_opens_its_own_ticket(runtime, stub_broker):
    send(runtime, "whatsapp", "+15550200021", "The kitchen sink in 2B is leaking slowly", T0)
    outcome = send(
        runtime,
        "whatsapp",
        "+15550200021",
        "Gas smell in the hallway outside 2B, very strong!!",
        T0 + timedelta(hours=4),
    )
    assert outcome.ticket_number == "WA-000002"
    assert load(runtime, "WA-000002").urgency == "urgent"


def test_a_chat_question_about_the_same_tap_after_a_pause_joins(runtime, stub_broker):
    # the window's topic check compared a word list ("plumbing") with the ticket's category ("maintenance")
    send(runtime, "whatsapp", "+15550400031", "The kitchen tap in G1 is dripping non stop", T0)
    outcome = send(
        runtime,
        "whatsapp",
        "+15550400031",
        "Hi, when is someone coming for the tap? It drips all night",
        T0 + timedelta(hours=11),
    )
    assert outcome.ticket_number == "WA-000001"
