"""What a message is about: its main topic over passing mentions, things named after dangers, past emergencies.

Each rule is checked in several wordings the rules hold no fixed phrase for, with a counter-example that
must keep its old decision (a real fire stays urgent, an ongoing flood stays urgent).
"""

from __future__ import annotations

import pytest

from classifiers import ClassifyInput

GRACE = "grace.kim@example.com"  # Maple Court A1


def classify(classifier, body, subject=None):
    return classifier.classify(ClassifyInput(sender=GRACE, subject=subject, body=body))


def _sources(result, field):
    return [e.source for e in result.evidence if e.field == field]


@pytest.mark.parametrize(
    "body",
    [
        "The bedroom window handle broke off and the window is stuck open, it is next to the fire escape.",
        "The fire door on our landing doesn't close by itself anymore.",
        "Someone has chained two bikes to the fire escape railing outside 3B.",
        "The fire exit sign in the stairwell keeps going dark.",
        "Is the fire alarm test still on Thursday morning? I work nights.",
        "The fire extinguisher in the corridor expired last month.",
    ],
)
def test_a_thing_named_after_a_danger_is_not_the_danger(classifier, body):
    result = classify(classifier, body)
    assert result.urgency != "urgent", result.evidence
    assert "hazard:fire-smoke" not in _sources(result, "urgency") + _sources(result, "category")


@pytest.mark.parametrize(
    "body",
    [
        "There is a fire on the fire escape, flames everywhere, come now!",
        "Fire in the kitchen, the pan caught and the cupboard is burning",
    ],
)
def test_a_real_fire_near_a_fire_escape_stays_urgent(classifier, body):
    assert classify(classifier, body).urgency == "urgent"


@pytest.mark.parametrize(
    "subject, body, category",
    [
        (
            "Receipts for rent Aug-Oct please",
            "Could you send me receipts for my last three rent payments? My accountant "
            "needs them - the portal only shows 'Paid' without a document. Thank you!",
            "payment",
        ),
        (
            None,
            "hi, can I get a statement of what I paid this year? the portal lists payments but not the late fee",
            "payment",
        ),
        (
            "Lease renewal",
            "My lease runs out in January and I would like to renew for another year. When do I need to "
            "give notice if I decide not to renew?",
            "lease",
        ),
        (
            None,
            "we'd like to renew our lease for 2 more years, does the renewal change the rent? and how much notice "
            "would we have to give to leave early?",
            "lease",
        ),
        (
            "Move-out inspection",
            "I'm moving out at the end of the month and would like to book the move-out inspection. "
            "What needs doing to get the deposit back (professional cleaning? repainting?)",
            "move",
        ),
        (
            None,
            "We move out on the 30th. When can you do the final walkthrough, and is cleaning the oven part of it?",
            "move",
        ),
    ],
)
def test_the_topic_a_message_keeps_returning_to_outweighs_passing_mentions(classifier, subject, body, category):
    result = classify(classifier, body, subject)
    assert result.category == category, result.evidence
    assert result.urgency == "low"


@pytest.mark.parametrize(
    "body, subcategory",
    [
        (
            "The hallway light in my flat stopped working. Also, can you tell me when rent is due this month?",
            "electrical",
        ),
        ("Kitchen tap won't turn off properly. By the way, could you confirm you got my deposit?", "plumbing"),
    ],
)
def test_a_side_question_does_not_take_over_a_repair(classifier, body, subcategory):
    result = classify(classifier, body)
    assert (result.category, result.subcategory) == ("maintenance", subcategory), result.evidence


@pytest.mark.parametrize(
    "subject, body",
    [
        (
            "Reimbursement for emergency plumber",
            "On Thursday the kitchen drain was completely blocked and water was "
            "backing up into the sink. Nobody answered, so I called a plumber and paid the invoice myself. Can this be "
            "deducted from my rent, or will you reimburse me?",
        ),
        (
            None,
            "Last weekend water was pouring from under the sink so I got an emergency plumber in and paid him $180. "
            "Could you pay me back? The receipt is attached.",
        ),
        (
            "Plumber invoice",
            "The toilet was overflowing on Sunday night and I had to call someone myself. Here is the "
            "invoice, can you refund me?",
        ),
    ],
)
def test_a_past_emergency_that_was_paid_for_is_a_payment(classifier, subject, body):
    result = classify(classifier, body, subject)
    assert result.category == "payment", result.evidence
    assert result.urgency in ("low", "standard")


@pytest.mark.parametrize(
    "body",
    [
        "The kitchen was flooded when I got home and water is still coming in, I'll send the plumber's invoice later",
        "I came home and the bathroom was flooded!! please send someone",
    ],
)
def test_a_flood_told_in_the_past_tense_but_not_over_stays_urgent(classifier, body):
    result = classify(classifier, body)
    assert (result.subcategory, result.urgency) == ("plumbing", "urgent"), result.evidence


@pytest.mark.parametrize(
    "body, category",
    [
        ("I moved out yesterday and left the 3 keys and 2 fobs in the mailbox. Please confirm you got them.", "move"),
        ("We are moving out on Friday, the keys will be with the concierge.", "move"),
    ],
)
def test_a_word_of_a_longer_term_is_not_a_state_of_the_thing_next_to_it(classifier, body, category):
    assert classify(classifier, body).category == category


@pytest.mark.parametrize(
    "body, subcategory",
    [
        ("Thanks, the door closes properly now!", "general_repair"),
        ("thanks, the dishwasher works again", "appliance"),
    ],
)
def test_a_thing_said_to_work_again_keeps_its_topic_over_the_thanks(classifier, body, subcategory):
    result = classify(classifier, body)
    assert (result.category, result.subcategory, result.urgency) == ("maintenance", subcategory, "low")


@pytest.mark.parametrize("body", ["the front door sticks", "a door handle came off", "the doors of the wardrobe"])
def test_a_door_counts_once_for_general_repair_not_also_as_a_fitting(classifier, body):
    # "doorstop" once made every door word a fitting too, so a door outvoted an intercom at the door
    doc, _, hits = classifier.lexicon.match(body)
    assert [key for key, start, end in hits if key[0] == "c" and doc[start:end].text.startswith("door")] == ["c:door"]


def test_an_intercom_that_is_dead_is_electrical_although_it_is_at_the_front_door(classifier):
    result = classify(
        classifier,
        "The intercom at the front door has been dead since Sunday.",
        subject="Front door intercom not working",
    )
    assert (result.category, result.subcategory) == ("maintenance", "electrical")
