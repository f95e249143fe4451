"""Danger frames (rules/urgency.yaml `frames:`, classifiers/frames.py) and the safety net (classifiers/safety.py).

Sentences written for these tests from the classes of issue #16 (not lines of the labelled or blind sets): the
same danger in another word order, another inflection, another language; negated, resolved or held in check.
"""

from __future__ import annotations

import shutil

import pytest

from classifiers import Classifier, ClassifierConfigError, ClassifyInput
from tests.classifiers.conftest import RULES


def classify(classifier, body: str):
    return classifier.classify(ClassifyInput(sender="someone@example.org", body=body))


def frames_of(result) -> set[str]:
    return {e.source for e in result.evidence if e.source.startswith("frame:")}


@pytest.mark.parametrize(
    "body, frame",
    [
        # a person trapped: person x stuck x lift, any order, any inflection
        ("Please come, my dad has been trapped inside the elevator for ten minutes", "trapped-in-lift"),
        ("Stuck between floors in the lift, a neighbour with her two kids", "trapped-in-lift"),
        ("Mia madre è bloccata dentro l'ascensore al terzo piano", "trapped-in-lift"),
        ("Mi vecina está atrapada en el ascensor", "trapped-in-lift"),
        ("Mon voisin est coincé dans l'ascenseur entre deux étages", "trapped-in-lift"),
        ("Unser Nachbar steckt seit einer Stunde im Fahrstuhl fest", "trapped-in-lift"),
        ("O meu pai está preso dentro do elevador", "trapped-in-lift"),
        ("our toddler is locked inside the bathroom and we cannot open it", "locked-in"),
        # sewage or foul water coming back into the home
        ("Brown water keeps coming up out of the bath plughole", "drain-backflow"),
        ("sewage is backing up into the shower tray again", "sewage-backflow"),
        ("El agua sucia sube por el desagüe de la cocina", "drain-backflow"),
        ("Das Schmutzwasser kommt aus der Badewanne hoch", "sewage-backflow"),
        # electrical danger
        ("The kitchen socket is wet, water leaking down the wall onto it", "water-on-electrics"),
        ("Tingling from the washing machine door whenever I touch it", "electric-shock"),
        ("J'ai pris une décharge en touchant le robinet de la douche", "electric-shock"),
        ("The hob won't turn off, the rings are getting hotter and hotter", "runaway-appliance"),
        # water through a ceiling, in the tenant's word order
        ("Dripping from the bedroom ceiling since the storm", "water-through-ceiling"),
        ("Está goteando agua del techo del baño", "water-through-ceiling"),
        # the home not secure
        ("Our entrance door cannot be locked any more since the break last night", "exterior-not-locking"),
        ("A porta principal não fecha, a fechadura partiu", "exterior-not-locking"),
        ("The balcony window lock is gone and I do not feel safe at night", "feels-unsafe"),
        ("A stranger was rattling the door handles all along our floor just now", "prowler"),
        ("There is a guy outside my door with a knife", "threat-at-door"),
        # loss of an essential service
        ("Our only toilet is completely blocked", "only-toilet-unusable"),
        ("AC broke down, 36 degrees in the flat, and my newborn can't sleep in this heat", "no-cooling-vulnerable"),
    ],
)
def test_a_danger_told_in_any_words_is_urgent(classifier, body, frame):
    result = classify(classifier, body)
    assert result.urgency == "urgent", (result.urgency, result.evidence)
    assert f"frame:{frame}" in frames_of(result)


def test_frame_evidence_names_the_words_of_each_slot(classifier):
    result = classify(classifier, "my son is stuck in the lift")
    evidence = next(e for e in result.evidence if e.source == "frame:trapped-in-lift")
    assert evidence.field == "urgency"
    assert evidence.text == "place=lift; state=stuck; who=son"


@pytest.mark.parametrize(
    "body",
    [
        "My son isn't stuck, the elevator just stops on the wrong floor",  # negated inside the frame
        "I checked the sockets, they are not wet at all",  # negated inside it
        "Mamma è rimasta bloccata nell'ascensore stamattina, ora è tutto risolto",  # resolved
        "The lift broke down, so we took the stairs",  # `unless`: nobody inside
        "There is a brown stain on the bathroom ceiling where it once dripped",  # a mark, not water coming through
        "The front door lock is stiff but it locks fine",  # no exterior-lock failure words
    ],
)
def test_no_frame_where_the_danger_is_negated_resolved_or_absent(classifier, rules_only, body):
    result = classify(rules_only, body)
    assert result.urgency != "urgent", (result.urgency, result.evidence)
    assert not result.possible_emergency, result.emergency_reasons
    # with the model: never urgent either; it may still flag a word-level doubt ("stuck", "elevator") for a person
    assert classify(classifier, body).urgency != "urgent"


def test_a_contained_ceiling_drip_is_high_and_flagged(classifier):
    result = classify(
        classifier,
        "The ceiling above the bath is dripping. I've put a bowl under it and it is only a drip every few minutes.",
    )
    assert result.urgency == "high"
    assert result.possible_emergency
    assert any("water-through-ceiling" in reason for reason in result.emergency_reasons)


def test_containment_never_softens_a_steady_danger(classifier):
    result = classify(classifier, "Water is dripping onto the light fitting, about once a minute, a bucket under it")
    assert result.urgency == "urgent"
    assert not result.possible_emergency  # urgent already: raised, not flagged


def test_an_unsure_urgency_with_a_danger_word_is_flagged(classifier):
    result = classify(classifier, "The gas hob clicks a lot before it lights, is that normal?")
    assert result.urgency == "standard" and result.confidence["urgency"] < 0.7
    assert result.possible_emergency
    assert result.emergency_reasons == ["unsure of the urgency, danger word 'gas'"]


def test_a_plain_repair_is_not_flagged(classifier):
    result = classify(classifier, "The kitchen cupboard door hinge is loose, could someone fix it next week?")
    assert result.urgency in ("standard", "low")
    assert not result.possible_emergency and result.emergency_reasons == []


@pytest.fixture
def rules_copy(tmp_path):
    for path in RULES.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _add_frame(rules_dir, body: str) -> int:
    path = rules_dir / "urgency.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index("frames:") + 1
    lines[at:at] = body.splitlines()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return at + 1


def test_a_frame_slot_naming_an_unknown_list_fails_on_load_with_its_line(rules_copy, registry):
    line = _add_frame(
        rules_copy,
        "  bad-frame:\n    level: urgent\n    danger: water\n    slots:\n"
        "      what: [water]\n      state: ['@failures']",
    )
    with pytest.raises(ClassifierConfigError, match="unknown list '@failures'") as info:
        Classifier.load(rules_copy, registry)
    assert f"urgency.yaml:{line + 3}:" in str(info.value) or "urgency.yaml:" in str(info.value)


def test_a_frame_with_an_unknown_topic_fails_on_load_with_its_line(rules_copy, registry):
    line = _add_frame(
        rules_copy,
        "  bad-topic:\n    level: urgent\n    danger: water\n    topic: maintenance/plumbin\n"
        "    slots:\n      a: [water]\n      b: [ceiling]",
    )
    with pytest.raises(ClassifierConfigError, match="no subcategory 'plumbin'") as info:
        Classifier.load(rules_copy, registry)
    assert f"urgency.yaml:{line}:3: frames.bad-topic" in str(info.value)
