"""Deciding: the shipped rules, first match and `continue: true`, picking within a team, specialists, and
the explanation dispatchers see."""

from __future__ import annotations

from datetime import datetime

import pytest

from assignment import RuleEngine, Workload
from tests.assignment.conftest import NEW_YORK, RULES_DIR, TUESDAY_10, engine_with_rules, make_facts


def test_shipped_rules_load(engine: RuleEngine):
    assert engine.rule_names[0] == "gas-or-fire-emergency"
    assert engine.rule_names[-1] == "everything-else-to-dispatch"
    assert {"plumbing-specialist", "low-confidence-to-triage", "payment-questions"} <= set(engine.rule_names)
    assert engine.hashes.keys() == {"assignment.yaml", "sla.yaml", "escalation.yaml"}


SHIPPED = [
    # (facts, team, assignee, priority, triage, approval, tags)
    (
        {
            "category": "maintenance",
            "subcategory": "plumbing",
            "urgency": "standard",
            "property_id": "OAK",
            "text": "The kitchen sink drips",
        },
        "plumbing",
        "pat-plumber",
        None,
        False,
        False,
        [],
    ),
    (
        {
            "category": "maintenance",
            "subcategory": "plumbing",
            "urgency": "standard",
            "property_id": "OAK",
            "text": "I smell gas near the boiler",
            "hazards": ["gas-smell"],
        },
        "plumbing",
        "pat-plumber",
        "urgent",
        False,
        False,
        ["safety"],
    ),
    (
        {
            "category": "maintenance",
            "subcategory": "plumbing",
            "urgency": "standard",
            "property_id": "OAK",
            "text": "the smoke alarm needs a new battery",
            "signals": ["minor"],
        },
        "plumbing",
        "pat-plumber",
        None,
        False,
        False,
        [],
    ),  # a danger word the classifier did not take for a hazard: no safety flag
    (
        {"category": "maintenance", "subcategory": "electrical", "billing_type": "billable", "text": "socket sparks"},
        "electrical",
        "eli-electrician",
        None,
        False,
        True,
        ["billable"],
    ),
    (
        {"category": "maintenance", "subcategory": "plumbing", "confidence": 0.4, "text": "something is wrong"},
        "dispatch",
        "dora-dispatcher",
        None,
        True,
        False,
        ["needs-review"],
    ),
    ({"category": "payment", "text": "Why was I charged twice?"}, "billing", "bea-billing", None, False, False, []),
    (
        {"category": "complaint", "subcategory": "noise", "urgency": "high", "text": "loud music every night"},
        "tenant-relations",
        "tara-relations",
        "standard",
        False,
        False,
        [],
    ),
    ({"category": "lease", "text": "renewing my lease"}, "tenant-relations", "tara-relations", None, False, False, []),
    (
        {"category": "utilities", "text": "the whole street has no power"},
        "dispatch",
        "dora-dispatcher",
        None,
        False,
        False,
        ["utility-outage"],
    ),
    (
        {"category": "maintenance", "subcategory": "appliance", "text": "the dishwasher is broken"},
        "maintenance",
        "gus-general",
        None,
        False,
        False,
        [],
    ),
    ({"category": "other", "text": "hello?"}, "dispatch", "dora-dispatcher", None, True, False, []),
]


@pytest.mark.parametrize(("facts", "team", "assignee", "priority", "triage", "approval", "tags"), SHIPPED)
def test_shipped_rules_decide(engine, facts, team, assignee, priority, triage, approval, tags):
    decision = engine.decide(make_facts(**facts), Workload(), TUESDAY_10)
    assert (decision.team, decision.assignee, decision.priority) == (team, assignee, priority)
    assert (decision.to_triage, decision.requires_approval, decision.tags) == (triage, approval, tags)


def test_first_match_wins_and_stops(tmp_path):
    engine = engine_with_rules(
        tmp_path,
        """
        - name: first
          when: {category: maintenance}
          then: {assign: {team: plumbing, pick: none}}
        - name: second
          when: {urgency: urgent}
          then: {assign: {team: maintenance}}
    """,
    )
    decision = engine.decide(make_facts(category="maintenance", urgency="urgent"), Workload(), TUESDAY_10)
    assert decision.team == "plumbing" and decision.assignee is None
    assert [(h.rule, h.matched) for h in decision.hits] == [("first", True)]  # `second` never evaluated


def test_continue_applies_and_goes_on_first_set_value_is_kept(tmp_path):
    engine = engine_with_rules(
        tmp_path,
        """
        - name: flag-urgent
          when: {text: {contains: flood}}
          then: {priority: urgent, tags: [water], notify: [sam]}
          continue: true
        - name: not-me
          when: {category: billing}
          then: {priority: low}
        - name: route
          when: {priority: urgent}
          then: {priority: low, tags: [routed], assign: {team: plumbing, pick: none}}
    """,
    )
    decision = engine.decide(make_facts(category="maintenance", text="flood in the basement"), Workload(), TUESDAY_10)
    assert [(h.rule, h.matched) for h in decision.hits] == [("flag-urgent", True), ("not-me", False), ("route", True)]
    assert decision.priority == "urgent"  # `route` matched on the new priority but the first value stays
    assert decision.set_by["priority"] == "flag-urgent" and decision.set_by["team"] == "route"
    assert decision.tags == ["water", "routed"]
    assert [(n.target, n.kind, n.rule) for n in decision.notify] == [("sam", "person", "flag-urgent")]


def test_least_loaded_picks_lowest_open_to_capacity(tmp_path):
    engine = engine_with_rules(tmp_path, "- name: p\n  when: always\n  then: {assign: {team: plumbing}}\n")
    facts = make_facts(property_id="HBR")
    assert engine.decide(facts, Workload(open_tickets={"pat": 2, "quinn": 1}), TUESDAY_10).assignee == "quinn"
    assert (
        engine.decide(facts, Workload(open_tickets={"pat": 1, "quinn": 1}), TUESDAY_10).assignee == "pat"
    )  # tie: order
    full = engine.decide(facts, Workload(open_tickets={"pat": 4, "quinn": 1}), TUESDAY_10)
    assert full.assignee == "quinn"
    # quinn only covers HBR; pat is at capacity: the ticket stays with the team, and the note says why
    nobody = engine.decide(make_facts(property_id="OAK"), Workload(open_tickets={"pat": 4}), TUESDAY_10)
    assert (nobody.team, nobody.assignee) == ("plumbing", None)
    assert "nobody in plumbing covers OAK" in nobody.notes[0]


def test_round_robin_walks_the_pool_from_the_callers_cursor(tmp_path):
    engine = engine_with_rules(tmp_path, "- name: m\n  when: always\n  then: {assign: {team: maintenance}}\n")
    picked, cursor = [], 0
    for _ in range(3):
        decision = engine.decide(make_facts(), Workload(round_robin={"maintenance": cursor}), TUESDAY_10)
        picked.append(decision.assignee)
        cursor = decision.round_robin_cursors["maintenance"]
    assert picked == ["gus", "maya", "gus"]
    # a person at capacity is skipped and the cursor moves past the one picked
    skip = engine.decide(make_facts(), Workload(open_tickets={"gus": 10}, round_robin={"maintenance": 0}), TUESDAY_10)
    assert (skip.assignee, skip.round_robin_cursors) == ("maya", {"maintenance": 0})


def test_specialist_override_prefers_the_skilled_person(tmp_path):
    engine = engine_with_rules(
        tmp_path,
        """
        - name: plumbing-specialist
          when: {subcategory: plumbing}
          then: {assign: {team: maintenance, specialist: true}}
        - name: general
          when: always
          then: {assign: {team: maintenance}}
    """,
    )
    plumbing = engine.decide(make_facts(subcategory="plumbing"), Workload(), TUESDAY_10)
    assert (plumbing.team, plumbing.assignee) == ("maintenance", "maya")  # the one maintenance member who plumbs
    # the specialist is full: falls back to picking within the team, and says so
    busy = engine.decide(make_facts(subcategory="plumbing"), Workload(open_tickets={"maya": 10}), TUESDAY_10)
    assert busy.assignee == "gus" and busy.notes[0].startswith("no plumbing specialist available")


def test_specialist_by_skill_across_teams_and_working_hours(tmp_path):
    people = """
    teams:
      trades: {members: [pat, night-owl]}
    people:
      pat: {skills: [plumbing], hours: {mon-fri: "08:00-17:00"}}
      night-owl: {skills: [plumbing], hours: {daily: "20:00-08:00"}}
    """
    engine = engine_with_rules(
        tmp_path,
        "- name: pipes\n  when: always\n  then: {assign: {specialist: plumbing}}\n",
        people=people,
        sla="calendars: {office: {timezone: America/New_York}}\ndefault_calendar: office\n",
    )
    day = engine.decide(make_facts(), Workload(), datetime(2026, 11, 24, 10, 0, tzinfo=NEW_YORK))
    night = engine.decide(make_facts(), Workload(), datetime(2026, 11, 24, 23, 0, tzinfo=NEW_YORK))
    assert (day.team, day.assignee) == ("trades", "pat")
    assert (night.team, night.assignee) == ("trades", "night-owl")


def test_person_assignment_and_explanation(engine):
    facts = make_facts(category="maintenance", subcategory="plumbing", property_id="OAK", text="tap drips")
    decision = engine.decide(facts, Workload(), TUESDAY_10)
    text = decision.explain()
    assert "assigned to plumbing / pat-plumber because rule `plumbing-specialist` matched subcategory=plumbing" in text
    assert decision.hits[-1].rule == "after-hours-urgent" and not decision.hits[-1].matched


def test_explain_lists_rules_after_the_deciding_one(engine):
    decision = engine.decide(make_facts(category="payment"), Workload(), TUESDAY_10, explain=True)
    names = [h.rule for h in decision.hits]
    assert names == engine.rule_names + ["after-hours-urgent"]
    last = decision.hits[len(engine.rule_names) - 1]
    assert last.reasons[0] == "not reached: `payment-questions` decided first"


def test_engine_is_pure_same_inputs_same_decision(engine):
    facts = make_facts(category="payment")
    first = engine.decide(facts, Workload(round_robin={"billing": 1}), TUESDAY_10)
    second = engine.decide(facts, Workload(round_robin={"billing": 1}), TUESDAY_10)
    assert first == second and first.assignee == "ben-billing"
    assert RuleEngine.load(RULES_DIR).decide(facts, Workload(round_robin={"billing": 1}), TUESDAY_10) == first


def test_assign_to_a_person_takes_their_team(tmp_path):
    engine = engine_with_rules(
        tmp_path,
        """
        - name: vip-to-quinn
          when: {property: HBR, unit: PH1}
          then: {assign: {person: quinn}}
    """,
    )
    decision = engine.decide(make_facts(property_id="HBR", unit="PH1"), Workload(), TUESDAY_10)
    assert (decision.team, decision.assignee, decision.set_by) == (
        "plumbing",
        "quinn",
        {"assignee": "vip-to-quinn", "team": "vip-to-quinn"},
    )
    assert decision.explain().startswith(
        "assigned to plumbing / quinn because rule `vip-to-quinn` matched property=hbr; unit=ph1"
    )


def test_after_hours_reassign_to_an_on_call_team(tmp_path):
    people = """
    teams:
      day: {members: [dee]}
      night-desk: {members: [nico, nora], pick: round_robin}
    people:
      dee: {hours: {mon-fri: "08:00-18:00"}}
      nico: {}
      nora: {}
    """
    sla = (
        'default_calendar: office\ncalendars: {office: {timezone: America/New_York, hours: {mon-fri: "08:00-18:00"}}}\n'
    )
    escalation = "roles: {on-call: night-desk}\nafter_hours_urgent: {notify: [on-call], reassign: on-call}\n"
    engine = engine_with_rules(
        tmp_path,
        "- name: all-to-day\n  when: always\n  then: {assign: {team: day}}\n",
        people=people,
        sla=sla,
        escalation=escalation,
    )
    night = datetime(2026, 11, 24, 23, 0, tzinfo=NEW_YORK)
    decision = engine.decide(make_facts(urgency="urgent"), Workload(round_robin={"night-desk": 1}), night)
    assert (decision.team, decision.assignee, decision.round_robin_cursors) == ("night-desk", "nora", {"night-desk": 0})
    assert [(n.target, n.kind, n.via) for n in decision.notify] == [("night-desk", "team", "on-call")]
    assert engine.decide(make_facts(urgency="high"), Workload(), night).team == "day"
