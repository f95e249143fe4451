"""Cue kinds and feature kinds (classifiers/cues.py, classifiers/learned/features.py): named in code, while the key
strings stay the ones the shipped urgency model was trained on."""

from __future__ import annotations

from classifiers.cues import Cue, CueKind, cue_key, is_hazard, is_term, kind_of, name_of
from classifiers.learned.features import FeatureKind, feature, kind_of_feature
from classifiers.learned.model import load_model
from classifiers.term_lists import term_lists


def test_a_key_is_its_kind_and_name():
    key = cue_key(CueKind.GROUP, "gas-smell:0")
    assert key == "k:gas-smell:0" and type(key) is str
    assert (kind_of(key), name_of(key)) == (CueKind.GROUP, "gas-smell:0")
    assert is_term("c:heating") and is_term("h:leak") and not is_term("s:failure") and not is_term("p:ELM")
    assert is_hazard("h:leak") and not is_hazard("c:heating")


def test_every_fixed_list_has_a_kind():
    assert {kind_of(cue) for cue in Cue} <= set(CueKind)
    assert all(cue == cue_key(kind_of(cue), name_of(cue)) for cue in Cue)


def test_every_list_the_classifier_compiles_has_a_kind_and_every_fixed_list_is_compiled(classifier, registry):
    keys = term_lists(classifier.rules, registry)
    assert {kind_of(key) for key in keys} == set(CueKind)
    assert set(Cue) <= set(keys)


def test_the_shipped_model_signals_are_lists_the_classifier_still_compiles(classifier, registry):
    keys = set(term_lists(classifier.rules, registry))
    signals = [name[2:] for name in load_model().features if kind_of_feature(name) is FeatureKind.SIGNAL]
    assert signals and set(signals) <= keys
    assert Cue.FAILURE in signals and feature(FeatureKind.SIGNAL, Cue.FAILURE) == "s:s:failure"


def test_every_feature_of_the_shipped_model_has_a_kind():
    assert {kind_of_feature(name) for name in load_model().features} == set(FeatureKind)
