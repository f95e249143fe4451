"""Phone normalisation and the conversation-window matcher."""

from __future__ import annotations

from datetime import timedelta

import pytest

from intake.channels.conversation import match_conversation, starts_new_issue
from intake.channels.phone import normalize_phone
from intake.core.models import ChannelName, InboundMessage, ThreadCandidate, ThreadHints
from tests.intake.channels.helpers import NOW

WINDOW = timedelta(hours=24)


@pytest.mark.parametrize(
    "raw, region, expected",
    [
        ("15550100101", "US", "+15550100101"),
        ("(555) 010-0101", "US", "+15550100101"),
        ("+44 7700 900123", "US", "+447700900123"),
        ("+1 (555) 010-0101", "US", "+15550100101"),
        ("4915112345678@c.us", "US", "+4915112345678"),
        ("447700900123@s.whatsapp.net", "US", "+447700900123"),
        ("07700 900123", "GB", "+447700900123"),
        ("120363041234@g.us", "US", None),
        ("9999@lid", "US", None),
        ("<WHATSAPP_USER_PHONE_NUMBER>", "US", None),
        ("", "US", None),
    ],
)
def test_normalize_phone(raw, region, expected):
    assert normalize_phone(raw, region) == expected


def test_provider_ids_always_carry_the_country_code():
    assert normalize_phone("4915112345678", "US", international=True) == "+4915112345678"
    assert normalize_phone("5550100101", "US", international=True) == "+5550100101"  # Brazil, not US
    assert normalize_phone("5550100101", "US") == "+15550100101"


def _message(text: str, **kw) -> InboundMessage:
    return InboundMessage(
        channel=ChannelName.WHATSAPP,
        channel_message_id="wamid.new",
        sender="+15550100101",
        text=text,
        full_text=text,
        **kw,
    )


def _ticket(number: str, minutes_ago: float, **kw) -> ThreadCandidate:
    at = NOW - timedelta(minutes=minutes_ago)
    return ThreadCandidate(
        ticket_number=number,
        status="open",
        channel=ChannelName.WHATSAPP,
        created_at=at,
        last_activity_at=at,
        last_inbound_at=at,
        **kw,
    )


def test_short_messages_in_a_row_join_one_ticket():
    ticket = _ticket("WA-000001", 1, subject="hi")
    for text in ("the sink", "is leaking"):
        match = match_conversation(_message(text), [ticket], WINDOW, NOW)
        assert match.joins and match.ticket_number == "WA-000001" and match.signal == "conversation-window"


def test_no_open_ticket_opens_a_new_one():
    match = match_conversation(_message("hi"), [], WINDOW, NOW)
    assert not match.joins and match.ticket_number is None


@pytest.mark.parametrize(
    "text",
    [
        "Another problem: the heating is off",
        "new issue - front door lock",
        "También, la luz del baño no funciona",
        "Also the dishwasher is broken",
        "Hola, tengo otro problema con la nevera",
        "something else: the boiler is off",
    ],
)
def test_new_issue_markers_open_a_new_ticket_inside_the_window(text):
    assert starts_new_issue(text)
    plumbing = _ticket("WA-000001", 10, category="plumbing")
    match = match_conversation(_message(text), [plumbing], WINDOW, NOW)
    assert not match.joins and match.signal == "new-issue-marker"


@pytest.mark.parametrize(
    "text",
    [
        "Also, it's still leaking",
        "something else is wrong with the same sink",
        "Also the tap under the sink drips",
        "also, when can someone come?",
        "Another problem, the sink is leaking again",
        "También sigue goteando",
    ],
)
def test_a_cue_about_the_same_problem_joins_the_open_ticket(text):
    assert starts_new_issue(text)  # a cue is there, but the text is about the open problem
    plumbing = _ticket("WA-000001", 10, category="plumbing")
    match = match_conversation(_message(text), [plumbing], WINDOW, NOW)
    assert match.joins and match.ticket_number == "WA-000001" and match.signal == "conversation-window"


def test_a_weak_cue_without_a_known_topic_on_the_ticket_joins():
    unknown = _ticket("WA-000001", 10, subject="hi")
    assert match_conversation(_message("Also the dishwasher is broken"), [unknown], WINDOW, NOW).joins
    strong = match_conversation(_message("Another problem: the dishwasher is broken"), [unknown], WINDOW, NOW)
    assert not strong.joins and strong.signal == "new-issue-marker"


@pytest.mark.parametrize("text", ["the sink is also dripping", "thanks!", "it's still leaking", "ok"])
def test_ordinary_follow_ups_are_not_new_issues(text):
    assert not starts_new_issue(text)


def test_outside_the_window_a_new_ticket_opens_but_a_follow_up_is_probable():
    old = _ticket("WA-000001", 30 * 60, category="plumbing")
    fresh = match_conversation(_message("The oven does not heat"), [old], WINDOW, NOW)
    assert fresh.ticket_number is None and "longer than the 24.0 h window" in fresh.evidence[0]
    follow = match_conversation(_message("It is still leaking"), [old], WINDOW, NOW)
    assert follow.probable_of == "WA-000001" and not follow.joins


def test_a_different_problem_after_a_long_pause_opens_a_new_ticket():
    plumbing = _ticket("WA-000001", 6 * 60, category="plumbing")
    match = match_conversation(_message("The heating in the bedroom is not working at all"), [plumbing], WINDOW, NOW)
    assert not match.joins and match.signal == "new-issue-topic" and "hvac" in match.evidence[0]
    same = match_conversation(_message("The kitchen tap is dripping now too"), [plumbing], WINDOW, NOW)
    assert same.joins


def test_reply_context_and_external_ticket_id_beat_the_window():
    older = _ticket("WA-000001", 40 * 60, channel_message_ids=["wamid.ours"])
    newer = _ticket("WA-000002", 5)
    quoted = _message("yes that one", thread=ThreadHints(reply_to_channel_id="wamid.ours"))
    match = match_conversation(quoted, [older, newer], WINDOW, NOW)
    assert match.joins and match.ticket_number == "WA-000001" and match.signal == "reply-context"
    qc = _ticket("QC-000007", 50 * 60, external_ticket_id="FT0048213")
    match = match_conversation(_message("Update?", external_ticket_id="FT0048213"), [newer, qc], WINDOW, NOW)
    assert match.joins and match.ticket_number == "QC-000007" and match.signal == "external-ticket-id"


def test_the_most_recent_ticket_is_the_one_joined():
    candidates = [_ticket("WA-1", 120), _ticket("WA-2", 3)]
    match = match_conversation(_message("and the bathroom too"), candidates, WINDOW, NOW)
    assert match.ticket_number == "WA-2"


def test_a_provider_case_never_joins_a_chat_conversation_by_time():
    chat = _ticket("WA-000003", 2)
    case = _message("Leak under the kitchen sink", external_ticket_id="FT0048213")
    match = match_conversation(case, [chat], WINDOW, NOW)
    assert not match.joins and "FT0048213" in match.evidence[0]
    qc = _ticket("QC-000001", 1, external_ticket_id="FT0048213")
    follow = match_conversation(_message("the sink again"), [qc, chat], WINDOW, NOW)
    assert follow.ticket_number == "WA-000003"  # chat messages follow chat tickets, not a provider's case


def test_topic_words_are_whole_words():
    from intake.channels.conversation import topic_of

    assert topic_of("the kitchen sink is leaking") == "plumbing"
    assert topic_of("the tenants upstairs are separate") is None
    assert topic_of("radiators are cold and the sink leaks") is None  # two topics: no single one
