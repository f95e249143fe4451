"""The follow-up policy by class of error (intake/pipeline/followup.py, continuation.py), through the real
pipeline: real .eml bytes and WhatsApp Cloud API payloads, SQLite and PostgreSQL. Each class failed before the
policy weighed what a message says: the same problem told in other words was split off, a different problem of
the same sender was tied to the open ticket, and a flatmate writing from another address was not recognised.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from store.models import Ticket
from tests.intake.pipeline.test_followup_policy import T0, load, send


def _set_status(rt, number, status):
    with rt.db.session() as session:
        ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        ticket.status, ticket.resolved_at = status, T0 if status == "resolved" else None


def _tied(rt, outcome, number="EML-000001"):
    """Whether the later message joined the ticket or was tied to it as a probable follow-up."""
    return outcome.ticket_number == number or load(rt, outcome.ticket_number).probable_followup_of == number


def test_the_same_problem_in_other_words_is_not_split_off_by_a_confident_other_subcategory(runtime, stub_broker):
    # classified electrical (a fuse) against the ticket's ventilation fan: the words in common tie them
    send(
        runtime,
        "email",
        "tbecker@example.com",
        "The extractor fan in the bathroom of 302 roars like a jet engine.",
        T0,
        subject="Bathroom extractor fan very loud",
    )
    outcome = send(
        runtime,
        "email",
        "tbecker@example.com",
        "Now the extractor fan blows the fuse every time the light switch is turned on, so no lights at all.",
        T0 + timedelta(days=2),
        subject="Fuse blows",
    )
    assert _tied(runtime, outcome)
    evidence = next(e.reason for e in load(runtime, outcome.ticket_number).events if e.kind == "probable-follow-up")
    assert "continues EML-000001: words in common: extractor, fan" in evidence


def test_a_chat_message_after_the_window_with_an_italian_continuation_cue_is_a_probable_follow_up(runtime, stub_broker):
    send(runtime, "whatsapp", "+15550200021", "Buongiorno, la lavatrice del 2B perde acqua dal fondo", T0)
    outcome = send(
        runtime,
        "whatsapp",
        "+15550200021",
        "il tecnico non si è visto, stamattina di nuovo tutto bagnato",
        T0 + timedelta(days=3),
    )
    assert _tied(runtime, outcome, "WA-000001")


def test_a_reused_subject_that_says_it_is_about_something_else_opens_a_new_ticket(runtime, stub_broker):
    send(
        runtime,
        "email",
        "maria@example.net",
        "The kitchen tap in 101 drips all day.",
        T0,
        subject="Kitchen tap dripping",
    )
    outcome = send(
        runtime,
        "email",
        "maria@example.net",
        "Unrelated to the tap: the toilet cistern hisses and refills all night.",
        T0 + timedelta(days=1),
        subject="Re: Kitchen tap dripping",
    )
    cistern = load(runtime, outcome.ticket_number)
    assert outcome.ticket_number == "EML-000002" and cistern.probable_followup_of is None
    assert "probable follow-up of EML-000001" not in cistern.review_reasons


def test_the_same_senders_other_problem_with_nothing_tying_it_to_the_ticket_is_not_parked(runtime, stub_broker):
    # same subcategory (plumbing), same home, other subject: only the sender ties them
    send(
        runtime,
        "email",
        "priya.n@example.org",
        "The kitchen sink in 201 is blocked and drains very slowly.",
        T0,
        subject="Kitchen sink blocked",
    )
    outcome = send(
        runtime,
        "email",
        "priya.n@example.org",
        "The shower head snapped off its hose this morning.",
        T0 + timedelta(days=2),
        subject="Shower head broken",
    )
    shower = load(runtime, outcome.ticket_number)
    assert outcome.ticket_number == "EML-000002" and shower.probable_followup_of is None
    assert not any(r.startswith("probable follow-up") for r in shower.review_reasons)


def test_the_same_object_in_another_room_is_another_problem(runtime, stub_broker):
    send(
        runtime,
        "email",
        "d.okafor@example.com",
        "The kitchen ceiling light in B2 flickers.",
        T0,
        subject="Kitchen light",
    )
    outcome = send(
        runtime,
        "email",
        "d.okafor@example.com",
        "The bedroom light does not switch on at all.",
        T0 + timedelta(days=2),
        subject="Bedroom light",
    )
    assert outcome.ticket_number == "EML-000002"
    assert load(runtime, "EML-000002").probable_followup_of is None


def test_a_flatmate_writing_from_another_address_about_the_same_units_problem_is_a_probable_follow_up(
    runtime, stub_broker
):
    send(
        runtime,
        "email",
        "maria@example.net",
        "The dishwasher in 101 at Harbor View does not drain.",
        T0,
        subject="Dishwasher not draining",
    )
    outcome = send(
        runtime,
        "email",
        "flatmate@elsewhere.example",
        "I share flat 101 at Harbor View with Maria. The "
        "dishwasher still has dirty water in the bottom, when is the technician coming?",
        T0 + timedelta(days=1),
        subject="Harbor View 101",
    )
    flatmate = load(runtime, outcome.ticket_number)
    assert flatmate.probable_followup_of == "EML-000001"
    reason = next(e.reason for e in flatmate.events if e.kind == "probable-follow-up")
    assert "about unit HBR 101, like EML-000001" in reason and "says 'still'" in reason


def test_a_new_problem_after_the_tenant_says_a_resolved_repair_held_is_a_new_ticket(runtime, stub_broker):
    send(runtime, "email", "grace.kim@example.com", "The kitchen tap in A1 drips.", T0, subject="Kitchen tap dripping")
    _set_status(runtime, "EML-000001", "resolved")
    outcome = send(
        runtime,
        "email",
        "grace.kim@example.com",
        "The tap has been fine since the visit, thank you. The "
        "shower drain is blocked now and the water stands ankle deep.",
        T0 + timedelta(days=10),
        subject="Re: Kitchen tap dripping",
    )
    drain = load(runtime, outcome.ticket_number)
    assert outcome.ticket_number == "EML-000002" and drain.probable_followup_of is None


def test_an_urgent_message_that_surely_continues_its_ticket_joins_it(runtime, stub_broker):
    # decided: the same emergency, already routed, is not split off; only a guess opens its own ticket
    send(
        runtime,
        "email",
        "maria@example.net",
        "Water is coming through the kitchen ceiling of 101!",
        T0,
        subject="Water through the kitchen ceiling",
    )
    outcome = send(
        runtime,
        "email",
        "maria@example.net",
        "It is still pouring through the ceiling and now near the light fitting, please hurry!",
        T0 + timedelta(hours=2),
        subject="Re: Water through the kitchen ceiling",
    )
    assert outcome.ticket_number == "EML-000001"
