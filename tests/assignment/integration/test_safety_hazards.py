"""Safety rules see what the classifier saw: "there is a gas smell in the hallway" (no phrase of the old rule)
gets the safety tag and the supervisor is told, through the real pipeline, broker and worker; a follow-up that
reports a hazard re-decides the ticket with it."""

from __future__ import annotations

from tests.assignment.integration.conftest import at, events_of, new_ticket
from tests.assignment.integration.test_followups import follow_up, ticket

GAS = {"subject": "Hallway", "body": "Hi, there is a gas smell in the hallway on the second floor."}


def _told(runtime, ticket_id: str) -> list[tuple[str, str]]:
    return [(e.actor, e.changes["target"]) for e in events_of(runtime, ticket_id, "notification-requested")]


def test_a_gas_smell_in_the_hallway_is_a_safety_ticket(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-30T10:00:00-05:00"))
    made = ticket(runtime, new_ticket(runtime, timer_broker, worker, message_id="<gas-1@example.net>", **GAS))
    assert {"field": "hazard", "source": "hazard:gas-smell", "text": "gas smell"} in made.evidence
    assert "safety" in made.tags and made.priority == "URGENT"
    assert ("gas-or-fire-emergency", "sam-supervisor") in _told(runtime, made.id)
    evaluated = events_of(runtime, made.id, "rules-evaluated")[0]
    assert "because rule `gas-or-fire-emergency` matched hazard=gas-smell" in evaluated.reason


def test_a_negated_gas_smell_is_not_a_safety_ticket(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-30T10:00:00-05:00"))
    body = "The boiler is noisy at night. There is no gas smell or anything, just the noise."
    made = ticket(
        runtime,
        new_ticket(runtime, timer_broker, worker, message_id="<gas-2@example.net>", subject="Boiler", body=body),
    )
    assert "safety" not in made.tags
    assert not [t for t in _told(runtime, made.id) if t[0] == "gas-or-fire-emergency"]


def test_a_followup_reporting_a_gas_smell_re_decides_with_the_hazard(runtime, clock, timer_broker, worker_factory):
    worker = worker_factory(timer_broker)
    clock.set(at("2026-11-30T10:00:00-05:00"))
    first = ticket(
        runtime,
        new_ticket(
            runtime,
            timer_broker,
            worker,
            message_id="<drip-1@example.net>",
            subject="Slow drain",
            body="The bathroom sink in unit 101 drains slowly.",
        ),
    )
    assert "safety" not in first.tags
    clock.set(at("2026-11-30T10:05:00-05:00"))
    follow_up(runtime, timer_broker, worker, "<drip-1@example.net>", "Also there is a gas smell in the hallway now.")
    after = ticket(runtime, first.id)
    assert "safety" in after.tags
    assert ("gas-or-fire-emergency", "sam-supervisor") in _told(runtime, first.id)
