"""Billing type against the sample registry's guarantees, contracts and fee schedule, with dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from classifiers import ClassifyInput


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "sender, body, day, billing, approval, cost",
    [
        # Harbor View 101 has a plumbing guarantee from 2026-10-01 for 90 days, and a 2026 contract.
        ("maria@example.net", "The kitchen sink is clogged.", "2026-11-20", "guarantee", False, None),
        ("maria@example.net", "The kitchen sink is clogged.", "2027-01-15", "billable", True, 120.0),
        ("maria@example.net", "The bedroom outlet doesn't work.", "2026-11-20", "sla", False, None),
        ("maria@example.net", "Water pouring from the ceiling!", "2027-02-01", "billable", True, 180.0),
        # Harbor View hvac guarantee covers the whole property.
        ("tbecker@example.com", "The thermostat is blank.", "2026-12-01", "guarantee", False, None),
        # Oak Terrace contract ended 2026-06-30.
        ("carlos.mendez@example.com", "The bedroom outlet doesn't work.", "2026-05-10", "sla", False, None),
        ("carlos.mendez@example.com", "The bedroom outlet doesn't work.", "2026-11-20", "billable", True, 130.0),
        # Maple Court B2 electrical guarantee 2026-11-01 + 30 days, contract to 2027-02-28.
        ("d.okafor@example.com", "The kitchen lights flicker.", "2026-11-20", "guarantee", False, None),
        ("d.okafor@example.com", "The kitchen lights flicker.", "2026-12-15", "sla", False, None),
        # Elm Street Lofts: no contract.
        ("kobrien@example.com", "The dishwasher won't start.", "2026-11-20", "billable", True, 110.0),
    ],
)
def test_billing(classifier, sender, body, day, billing, approval, cost):
    result = classifier.classify(ClassifyInput(sender=sender, body=body, received_at=at(day)))
    assert result.category == "maintenance"
    assert (result.billing_type, result.requires_approval, result.estimated_cost) == (billing, approval, cost)
    assert any(e.field == "billing_type" and e.source.startswith("registry:") for e in result.evidence)


def test_non_maintenance_has_no_billing(classifier):
    result = classifier.classify(ClassifyInput(sender="maria@example.net", body="Please send a receipt for my rent."))
    assert (result.category, result.billing_type, result.requires_approval) == ("payment", None, False)


def test_billable_without_property_goes_to_review(classifier):
    result = classifier.classify(ClassifyInput(sender="nobody@example.org", body="The dishwasher won't start."))
    assert result.billing_type == "billable"
    assert result.needs_review
