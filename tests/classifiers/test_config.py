"""Rules files are validated on load: mistakes are rejected with file:line, the shipped rules load."""

from __future__ import annotations

import shutil

import pytest

from classifiers import Classifier, ClassifierConfigError
from tests.classifiers.conftest import RULES


@pytest.fixture
def rules_copy(tmp_path):
    for name in ("taxonomy", "urgency", "units", "billing"):
        shutil.copy(RULES / f"{name}.yaml", tmp_path / f"{name}.yaml")
    return tmp_path


def _append(path, text):
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _line_of(path, needle):
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_broken_yaml_names_file_and_line(rules_copy, registry):
    path = rules_copy / "billing.yaml"
    _append(path, "order: [guarantee, sla\nbroken: : :\n")
    with pytest.raises(ClassifierConfigError) as info:
        Classifier.load(rules_copy, registry)
    message = str(info.value)
    assert message.startswith(f"{path}:")
    assert int(message.split(":")[1]) >= _line_of(path, "order: [guarantee, sla")


def test_unknown_subcategory_names_its_line(rules_copy, registry):
    path = rules_copy / "taxonomy.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "  plumbing-fixture:\n    topic: maintenance/plumbing", "  plumbing-fixture:\n    topic: maintenance/plumbin"
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ClassifierConfigError, match="no subcategory 'plumbin'") as info:
        Classifier.load(rules_copy, registry)
    assert str(info.value).startswith(f"{path}:")


def test_wrong_type_points_at_the_key(rules_copy, registry):
    path = rules_copy / "urgency.yaml"
    text = path.read_text(encoding="utf-8").replace("state_window: 6", "state_window: many")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ClassifierConfigError) as info:
        Classifier.load(rules_copy, registry)
    # file:line:column of the value, like every problem of rules/
    assert str(info.value).startswith(f"{path}:{_line_of(path, 'state_window: many')}:{len('state_window: ') + 1}: ")
    assert "valid integer" in str(info.value)


def test_short_wildcard_stem_rejected(rules_copy, registry):
    path = rules_copy / "taxonomy.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("terms: [toilet*,", "terms: [to*, toilet*,"), encoding="utf-8"
    )
    with pytest.raises(ClassifierConfigError, match="at least 4 letters"):
        Classifier.load(rules_copy, registry)


def test_unknown_key_rejected(rules_copy, registry):
    _append(rules_copy / "units.yaml", "unit_wrods: [apt]\n")
    with pytest.raises(ClassifierConfigError, match="unit_wrods"):
        Classifier.load(rules_copy, registry)


def test_missing_file_rejected(rules_copy, registry):
    (rules_copy / "units.yaml").unlink()
    with pytest.raises(ClassifierConfigError, match="units.yaml: file is missing"):
        Classifier.load(rules_copy, registry)


def test_words_like_no_and_off_stay_words(classifier):
    # YAML 1.1 would read `no` and `off` as booleans; the negation and failure lists need them as words.
    assert "no" in classifier.rules.urgency.negation.terms
    assert "off" in classifier.rules.urgency.failure.terms


def test_ops_can_add_a_term(rules_copy, registry):
    from classifiers import ClassifyInput

    message = ClassifyInput(body="The squash court has been dirty for a week.")
    assert Classifier.load(rules_copy, registry).classify(message).category != "amenity"
    path = rules_copy / "taxonomy.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "gym, pool, rooftop,"
    assert text.count(anchor) == 1  # the edit below must really change the amenity terms
    path.write_text(text.replace(anchor, "squash court, " + anchor), encoding="utf-8")
    classifier = Classifier.load(rules_copy, registry)
    assert classifier.classify(message).category == "amenity"


def test_combination_must_name_a_hazard_or_concept(rules_copy, registry):
    path = rules_copy / "urgency.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("\n  gas-smell:\n    window:") == 1
    path.write_text(text.replace("\n  gas-smell:\n    window:", "\n  gas-smel:\n    window:"), encoding="utf-8")
    with pytest.raises(ClassifierConfigError, match="combinations.gas-smel: not a hazard") as info:
        Classifier.load(rules_copy, registry)
    assert str(info.value).startswith(f"{path}:{_line_of(path, 'gas-smel:')}:3:")


def test_hazard_with_unknown_topic_names_its_line(rules_copy, registry):
    path = rules_copy / "urgency.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "    topic: maintenance/hvac\n", "    topic: maintenance/heating\n", 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(ClassifierConfigError, match="no subcategory 'heating'") as info:
        Classifier.load(rules_copy, registry)
    assert str(info.value).startswith(f"{path}:{_line_of(path, 'gas-smell:')}:3: hazards.gas-smell")
