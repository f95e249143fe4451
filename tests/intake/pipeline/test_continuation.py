"""What a message says about the ticket it may continue (intake/channels/continuation.py): cues in the six
languages, words in common, rooms; and the chat window reading the same cues."""

from __future__ import annotations

from datetime import timedelta

import pytest

from intake.channels.continuation import read_signs, rooms_named, says_continues, words_in_common
from intake.channels.conversation import match_conversation
from intake.core.models import ChannelName, InboundMessage, ThreadCandidate
from tests.intake.channels.helpers import NOW


@pytest.mark.parametrize(
    "text",
    [
        "Any update on this? Nobody called.",
        "The plumber never showed up",
        "¿Hay novedades? Sigue goteando",
        "oi de novo, o técnico vem quando?",
        "Toujours pas d'eau chaude ce matin",
        "Es tropft schon wieder",
        "il tecnico non è venuto",
        "Thanks, you can close this",
    ],
)
def test_continuation_cues_in_six_languages(text):
    assert says_continues(text)


@pytest.mark.parametrize(
    "text",
    [
        "The oven stopped heating",
        "La nevera no enfría",
        "Der Kühlschrank ist kaputt",
        "funktioniert nicht mehr",
        "ya no funciona la luz",
        "a technician please",
    ],
)
def test_a_new_report_has_no_continuation_cue(text):
    assert says_continues(text) is None


def test_saying_it_is_about_something_else_outweighs_a_passing_still():
    signs = read_signs("Not about the toilet - that's still on your list. The fan has stopped.", "Toilet keeps running")
    assert signs.other_matter == "not about the" and signs.continuation_cue == "still"


def test_another_problem_is_undone_by_a_continuation_word_in_the_same_sentence_only():
    assert read_signs("Another problem, the sink is leaking again", "sink leak").other_matter is None
    signs = read_signs("Another electrical thing: the socket is dead. (The lights still flicker.)", "lights flicker")
    assert signs.other_matter == "another electrical thing"
    assert read_signs("Andere Sache: die Klingel geht nicht", "Rauchmelder piept").other_matter == "andere sache"


def test_words_in_common_fold_endings_and_leave_out_names_signatures_rooms_and_stop_words():
    ticket = "Extractor fan rattling\nThe bathroom extractor fan in 4B rattles loudly.\nChen Wei"
    assert words_in_common("It is still rattling, the fans are worse.\nChen", ticket, ("chen.wei@example.com",)) == [
        "rattling",
        "fans",
    ]
    assert (
        words_in_common(
            "Kind regards from the bathroom, Lukas Weber", "Lukas Weber, bathroom", ("lukas.weber@example.de",)
        )
        == []
    )


def test_rooms_in_any_language_and_a_room_conflict_unties_shared_words():
    assert rooms_named("la cocina y el baño") == {"kitchen", "bathroom"}
    signs = read_signs("The kitchen mixer tap is loose", "The hot tap in the bathroom drips")
    assert signs.shared == ["tap"] and not signs.tied_by_words and not signs.continues
    assert "but kitchen, not bathroom" in signs.explain()


def test_after_the_chat_window_a_portuguese_continuation_cue_is_a_probable_follow_up():
    at = NOW - timedelta(hours=40)
    old = ThreadCandidate(
        ticket_number="WA-000001",
        status="assigned",
        channel=ChannelName.WHATSAPP,
        category="maintenance",
        created_at=at,
        last_activity_at=at,
        last_inbound_at=at,
    )
    message = InboundMessage(
        channel=ChannelName.WHATSAPP,
        channel_message_id="wamid.x",
        sender="+15550300202",
        text="oi de novo, o técnico vem quando?",
        full_text="oi de novo, o técnico vem quando?",
    )
    match = match_conversation(message, [old], timedelta(hours=24), NOW)
    assert match.probable_of == "WA-000001" and not match.joins


def test_a_short_last_line_is_dropped_only_when_it_is_a_sign_off_or_a_name_never_the_only_content():
    assert words_in_common("Hi,\nextractor fan rattling", "Extractor fan rattles") == ["extractor", "fan", "rattling"]
    assert words_in_common("The extractor fan still rattles", "Hi,\nextractor fan rattling") == [
        "extractor",
        "fan",
        "rattles",
    ]
    assert words_in_common("The boiler is fine now\nThanks, Maria", "boiler thanks maria") == ["boiler"]
    assert words_in_common("The boiler is fine now\nChen Wei", "boiler chen wei") == ["boiler"]
