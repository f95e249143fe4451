"""The classifier remembers work that only depends on the loaded rules and registry; what it remembers must
never leak from one message into another."""

from __future__ import annotations

from classifiers import ClassifyInput

GRACE = "grace.kim@example.com"  # Maple Court A1; Maple Court also has B2


def test_a_remembered_tenancy_location_does_not_hide_a_unit_named_in_the_text(classifier):
    plain = ClassifyInput(sender=GRACE, body="The bathroom tap drips all night.")
    moved = ClassifyInput(sender=GRACE, body="I live in B2 at Maple Court now, the bathroom tap drips all night.")
    first, claimed, again = (classifier.classify(item) for item in (plain, moved, plain))
    assert (first.property, first.unit) == ("MPL", "A1")
    assert (claimed.property, claimed.unit) == ("MPL", "B2")
    assert (again.property, again.unit) == ("MPL", "A1")


def test_changing_a_result_does_not_change_the_next_one(classifier):
    item = ClassifyInput(sender=GRACE, body="The fridge stopped cooling last night.")
    first = classifier.classify(item)
    first.evidence.clear()
    first.review_reasons.append("edited by a caller")
    second = classifier.classify(item)
    assert second.evidence and "edited by a caller" not in second.review_reasons
    assert [e.field for e in second.evidence] == [
        "category",
        "subcategory",
        "urgency",
        "property",
        "unit",
        "billing_type",
    ]
