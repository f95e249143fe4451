"""Concept-level matching: word combinations, temperatures without a failure word, elisions, typos, review.

Each case is written in wordings the rules hold no fixed phrase for, so a pass means the pattern generalises.
"""

from __future__ import annotations

import pytest

from classifiers import ClassifyInput

GRACE = "grace.kim@example.com"  # Maple Court A1


def classify(classifier, body, sender=GRACE, subject=None):
    return classifier.classify(ClassifyInput(sender=sender, subject=subject, body=body))


def _evidence(result, field):
    return [(e.source, e.text) for e in result.evidence if e.field == field]


@pytest.mark.parametrize(
    "body, span",
    [
        ("Hay un olor muy fuerte a gas en la cocina, tengo miedo", "olor muy fuerte a gas"),
        ("strong gas odor in the kitchen", "gas odor"),
        ("it smells a bit like gas in here", "smells a bit like gas"),
        ("es riecht stark nach Gas im Treppenhaus", "riecht stark nach Gas"),
        ("tá com um cheiro de gás muito forte aqui", "cheiro de gás"),
        ("ça sent le gaz dans la cuisine", "sent le gaz"),
    ],
)
def test_gas_smell_in_any_wording_is_hvac_urgent_with_its_span(classifier, body, span):
    result = classify(classifier, body)
    assert (result.category, result.subcategory, result.urgency) == ("maintenance", "hvac", "urgent")
    assert ("hazard:gas-smell", span) in _evidence(result, "urgency")


@pytest.mark.parametrize(
    "body",
    [
        "There is no smell of gas anymore, the stove is fine now.",
        "Can you send me the gas bill for October? I sent the meter reading already.",
    ],
)
def test_gas_without_a_gas_smell_is_not_urgent(classifier, body):
    assert classify(classifier, body).urgency != "urgent"


@pytest.mark.parametrize(
    "body, urgency",
    [
        ("our radiators are ice cold and it's 40F in the apartment, I have a newborn", "urgent"),
        ("The radiator in the bedroom clicks, it's 6C in the flat", "urgent"),
        ("The radiator in the bedroom clicks a lot. It's 2 degrees outside today.", "standard"),
        ("The AC rattles and it's 99F in the living room", "urgent"),
        ("The AC rattles, it was 99F outside yesterday", "standard"),
    ],
)
def test_indoor_temperature_counts_without_a_failure_word(classifier, body, urgency):
    result = classify(classifier, body)
    assert (result.subcategory, result.urgency) == ("hvac", urgency), result.evidence


def test_french_elision_reads_the_word_after_the_apostrophe(classifier):
    result = classify(classifier, "Il n'y a plus d'eau chaude depuis ce matin")
    assert (result.subcategory, result.urgency) == ("plumbing", "urgent")
    assert any("d'eau chaude" in text for _, text in _evidence(result, "urgency"))


@pytest.mark.parametrize(
    "body",
    [
        "my key doesn't turn in the front door lock anymore, I'm stuck outside with my kids",
        "la llave no gira en la cerradura y estoy afuera con mi hija",
    ],
)
def test_lock_out_variants_are_urgent(classifier, body):
    result = classify(classifier, body)
    assert (result.subcategory, result.urgency) == ("general_repair", "urgent")
    assert any(source == "hazard:locked-out" for source, _ in _evidence(result, "urgency"))


def test_a_stiff_lock_while_at_home_is_not_a_lock_out(classifier):
    assert classify(classifier, "The front door lock is a bit stiff, no rush.").urgency != "urgent"


@pytest.mark.parametrize(
    "body",
    [
        "somebody smashed the windshield of my car in the garage last night",
        "A man was trying car doors in the parking garage at 2am",
        "Quelqu'un a rayé ma voiture dans le parking",
    ],
)
def test_crime_against_a_vehicle_in_a_garage_is_security(classifier, body):
    result = classify(classifier, body)
    assert (result.category, result.subcategory) == ("complaint", "security")


def test_parking_stays_parking(classifier):
    result = classify(classifier, "Someone keeps parking their car in my spot in the garage.")
    assert (result.category, result.subcategory) == ("complaint", "parking")


@pytest.mark.parametrize(
    "body, subcategory",
    [
        ("water is leeking under the sink", "plumbing"),
        ("the bathroom sink is cloged", "plumbing"),
        ("the dishwaser won't start", "appliance"),
    ],
)
def test_typos_are_matched_by_fuzzy_matching_not_literal_terms(classifier, body, subcategory):
    terms = {t for concept in classifier.rules.taxonomy.concepts.values() for t in concept.terms}
    terms |= {t for hazard in classifier.rules.urgency.hazards.values() for t in hazard.terms}
    assert not terms & {"leek", "leeking", "cloged", "dishwaser"}
    assert classify(classifier, body).subcategory == subcategory


def test_inflected_plural_does_not_fuzz_into_another_word(classifier):
    assert classifier.lexicon.canonical("parties") == "party"
    assert classify(classifier, "¿Puedo pagar la renta en dos partes?").category == "payment"


def test_an_unexplained_danger_word_with_an_unsure_category_goes_to_review(classifier):
    result = classify(classifier, "Do tenants pay for gas or is it included?")
    assert result.urgency != "urgent"
    assert result.needs_review
    assert any("danger word 'gas'" in reason for reason in result.review_reasons)


def test_a_danger_whose_topic_disagrees_with_the_category_goes_to_review(classifier):
    result = classify(classifier, "The power is out in the whole building and I smell burning from the outlet")
    assert (result.category, result.urgency) == ("utilities", "urgent")
    assert result.needs_review
    assert any("danger 'sparks-burning'" in reason for reason in result.review_reasons)


def test_a_supply_cut_beyond_the_home_is_no_conflict(classifier):
    result = classify(classifier, "The power is out in the whole building since 6pm, is the power company aware?")
    assert (result.category, result.urgency) == ("utilities", "urgent")
    assert not any("danger" in reason for reason in result.review_reasons)


def test_a_negated_danger_does_not_lend_its_no_to_the_next_thing(classifier):
    result = classify(classifier, "no gas smell, just checking the boiler service date")
    assert (result.subcategory, result.urgency) == ("hvac", "standard"), result.evidence
