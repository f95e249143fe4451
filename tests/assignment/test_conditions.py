"""Every condition operator and the all/any/not combinators, table-driven through a real engine, plus the
reasons a rule gives when it does and does not match."""

from __future__ import annotations

from datetime import datetime

import pytest

from assignment import Workload
from tests.assignment.conftest import NEW_YORK, TUESDAY_10, engine_with_rules, make_facts

SLA_NY = """
default_calendar: office
calendars:
  office: {timezone: America/New_York, hours: {mon-fri: "08:00-18:00"}, holidays: {country: US}}
"""

CASES = [
    # (when, facts, expected)
    ("{category: maintenance}", {"category": "maintenance"}, True),
    ("{category: maintenance}", {"category": "billing"}, False),
    ("{category: Maintenance}", {"category": "MAINTENANCE"}, True),  # names are case-insensitive
    ("{urgency: [urgent, high]}", {"urgency": "high"}, True),
    ("{urgency: [urgent, high]}", {"urgency": "low"}, False),
    ("{urgency: {is: urgent}}", {"urgency": "urgent"}, True),
    ("{urgency: {is_not: urgent}}", {"urgency": "urgent"}, False),
    ("{urgency: {is_not: urgent}}", {}, True),
    ("{property: {in: [HBR, ELM]}}", {"property_id": "ELM"}, True),
    ("{property: {not_in: [HBR, ELM]}}", {"property_id": "ELM"}, False),
    ("{property: {not_in: [HBR, ELM]}}", {"property_id": "OAK"}, True),
    ("{unit: {present: true}}", {"unit": "101"}, True),
    ("{unit: {present: true}}", {}, False),
    ("{unit: {present: false}}", {}, True),
    ("{channel: whatsapp}", {"channel": "whatsapp"}, True),
    ("{billing_type: billable}", {"billing_type": "guarantee"}, False),
    ("{contract: {starts_with: hbr}}", {"contract": "HBR-2026"}, True),
    ("{status: {in: [new, triaged]}}", {"status": "assigned"}, False),
    ("{text: {contains: 'gas leak'}}", {"text": "There is a GAS LEAK in 2B"}, True),
    ("{text: {contains: 'gas leak'}}", {"text": "leaky gas bill"}, False),
    ("{text: {contains: urgent}}", {"text": "x", "subject": "URGENT: water"}, True),  # text covers the subject
    ("{subject: {contains: water}}", {"text": "water", "subject": "hello"}, False),
    ("{text: {not_contains: test}}", {"text": "real problem"}, True),
    ("{text: {contains_any: [mould, mold]}}", {"text": "black mold in the bathroom"}, True),
    ("{text: {contains_any: [mould, mold]}}", {"text": "damp wall"}, False),
    ("{text: {contains_all: [heat, bedroom]}}", {"text": "no heat in the bedroom"}, True),
    ("{text: {contains_all: [heat, bedroom]}}", {"text": "no heat in the kitchen"}, False),
    ("{sender: {ends_with: '@example.com'}}", {"sender": "J.Carter@Example.com"}, True),
    ("{sender: {ends_with: '@example.com'}}", {"sender": "maria@example.net"}, False),
    ("{sender: {is: maria@example.net}}", {"sender": "maria@example.net"}, True),
    ("{text: {matches: 'unit\\s*\\d{3}'}}", {"text": "leak in Unit 302"}, True),
    ("{text: {matches: '^leak'}}", {"text": "no leak"}, False),
    ("{confidence: {lt: 0.6}}", {"confidence": 0.59}, True),
    ("{confidence: {lt: 0.6}}", {"confidence": 0.6}, False),
    ("{confidence: {lte: 0.6}}", {"confidence": 0.6}, True),
    ("{confidence: {gt: 0.9}}", {"confidence": 0.9}, False),
    ("{confidence: {gte: 0.9}}", {"confidence": 0.9}, True),
    ("{confidence: {between: [0.4, 0.7]}}", {"confidence": 0.5}, True),
    ("{confidence: {between: [0.4, 0.7]}}", {"confidence": 0.8}, False),
    ("{needs_review: true}", {"needs_review": True}, True),
    ("{needs_review: true}", {"needs_review": False}, False),
    # time: the decision happens Tuesday 10:00 New York time
    ("{time_of_day: {between: '09:00-11:00'}}", {}, True),
    ("{time_of_day: '22:00-07:00'}", {}, False),
    ("{time_of_day: {before: '10:00'}}", {}, False),
    ("{time_of_day: {after: '10:00'}}", {}, True),
    ("{weekday: tue}", {}, True),
    ("{weekday: [sat, sun]}", {}, False),
    ("{business_hours: true}", {}, True),
    # combinators
    ("{all: [{category: maintenance}, {urgency: urgent}]}", {"category": "maintenance", "urgency": "urgent"}, True),
    ("{all: [{category: maintenance}, {urgency: urgent}]}", {"category": "maintenance", "urgency": "low"}, False),
    ("{category: maintenance, urgency: urgent}", {"category": "maintenance", "urgency": "low"}, False),
    ("{any: [{urgency: urgent}, {text: {contains: flood}}]}", {"urgency": "low", "text": "a flood"}, True),
    ("{any: [{urgency: urgent}, {text: {contains: flood}}]}", {"urgency": "low", "text": "a drip"}, False),
    ("{not: {channel: email}}", {"channel": "whatsapp"}, True),
    ("{not: {channel: email}}", {"channel": "email"}, False),
    (
        "{any: [{not: {property: HBR}}, {all: [{urgency: urgent}, {unit: '101'}]}]}",
        {"property_id": "HBR", "urgency": "urgent", "unit": "101"},
        True,
    ),
    (
        "{any: [{not: {property: HBR}}, {all: [{urgency: urgent}, {unit: '101'}]}]}",
        {"property_id": "HBR", "urgency": "urgent", "unit": "102"},
        False,
    ),
]


@pytest.mark.parametrize(("when", "facts", "expected"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_condition(tmp_path, when, facts, expected):
    engine = engine_with_rules(tmp_path, f"- name: probe\n  when: {when}\n  then: {{tags: [hit]}}\n", sla=SLA_NY)
    decision = engine.decide(make_facts(**facts), Workload(), TUESDAY_10)
    assert decision.hits[0].rule == "probe"
    assert decision.hits[0].matched is expected
    assert ("hit" in decision.tags) is expected


def test_time_conditions_use_the_calendar_time_zone(tmp_path):
    engine = engine_with_rules(
        tmp_path, "- name: night\n  when: {time_of_day: '22:00-07:00'}\n  then: {tags: [night]}\n", sla=SLA_NY
    )
    three_am = datetime(2026, 11, 24, 3, 0, tzinfo=NEW_YORK)
    assert engine.decide(make_facts(), Workload(), three_am).tags == ["night"]
    noon = datetime(2026, 11, 24, 12, 0, tzinfo=NEW_YORK)
    assert engine.decide(make_facts(), Workload(), noon).tags == []


def test_reasons_say_what_matched_and_why_not(tmp_path):
    engine = engine_with_rules(
        tmp_path,
        """
        - name: urgent-plumbing
          when: {subcategory: plumbing, urgency: urgent}
          then: {tags: [x]}
    """,
    )
    decision = engine.decide(
        make_facts(subcategory="plumbing", urgency="standard"), Workload(), TUESDAY_10, explain=True
    )
    assert decision.hits[0].reasons == ("subcategory=plumbing matched", "urgency is standard, not urgent")
    quick = engine.decide(make_facts(subcategory="plumbing", urgency="standard"), Workload(), TUESDAY_10)
    assert quick.hits[0].reasons == ("urgency is standard, not urgent",)  # without explain: the failing condition


def test_text_reasons_never_quote_the_message(tmp_path):
    engine = engine_with_rules(tmp_path, "- name: gas\n  when: {text: {contains: gas}}\n  then: {tags: [x]}\n")
    decision = engine.decide(make_facts(text="my secret door code is 4711"), Workload(), TUESDAY_10)
    assert decision.hits[0].reasons == ("text not containing 'gas'",)


def test_vocabulary_matches_what_the_engine_knows(engine):
    from assignment import ACTIONS, FIELDS
    from assignment.schema import ThenSpec

    assert set(engine.view(make_facts(), TUESDAY_10)) == set(FIELDS)
    assert set(ACTIONS) == set(ThenSpec.model_fields)


def test_shared_misses_keep_each_tickets_own_reason(tmp_path):
    engine = engine_with_rules(tmp_path, "- name: urgent-only\n  when: {urgency: urgent}\n  then: {tags: [x]}\n")
    reasons = [
        engine.decide(make_facts(urgency=u), Workload(), TUESDAY_10).hits[0].reasons for u in ("low", "high", "low")
    ]
    assert reasons == [
        ("urgency is low, not urgent",),
        ("urgency is high, not urgent",),
        ("urgency is low, not urgent",),
    ]
