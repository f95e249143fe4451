"""The shortcuts in reading signals: hit order, sentence/clause scopes and state attachment must read a message
exactly as the plain definitions say (these run for every message, so they are written for speed)."""

from __future__ import annotations

import random

import pytest

from classifiers.lexicon import sort_by_start_longest_first
from classifiers.signals import read_signals
from classifiers.spans import segments

_SENTENCE_ENDS = {".", "!", "?", ";", "...", "!!", "!!!", "??"}
_CONTRASTS = {"but", "pero", "mas", "aber", "mais", "tho", "though", "however", "except", "ma"}
_CLAUSE_BREAKS = {",", "-", "—", ":"} | _CONTRASTS


def test_hits_sort_by_start_then_longest_keeping_the_matcher_order_of_ties():
    rng = random.Random(7)
    for _ in range(500):
        hits = []
        for n in range(rng.randint(0, 12)):
            start = rng.randint(0, 6)
            hits.append((f"k{n}", start, start + rng.randint(1, 3)))
        expected = sorted(hits, key=lambda hit: (hit[1], -hit[2]))  # stable: equal spans stay in input order
        sort_by_start_longest_first(hits)
        assert hits == expected


def _scopes_token_by_token(doc):
    sentences, contrasts, clauses = [], [], []
    for token in doc:
        text = token.text
        if "\n" in text or text in _SENTENCE_ENDS:
            sentences.append(token.i)
        if token.i in sentences or text in _CONTRASTS:
            contrasts.append(token.i)
        if token.i in contrasts or text in _CLAUSE_BREAKS:
            clauses.append(token.i)
    return sentences, contrasts, clauses


@pytest.mark.parametrize(
    "text",
    [
        "the sink leaks, but only a bit. the tap - drips!! why??",
        "no heat\nsince monday; it's 12 degrees... however the boiler: fine",
        "a brand-new zzqword, pero el grifo gotea. aber nicht tho",
        "",
    ],
)
def test_scopes_are_the_sentence_contrast_and_clause_ends_of_the_tokens(classifier, text):
    doc, orths = classifier.lexicon.doc(text)
    bounds: dict[int, int] = {}
    expected = _scopes_token_by_token(doc)
    assert segments(doc, orths, bounds) == expected  # every word new to `bounds`
    assert segments(doc, orths, bounds) == expected  # every word remembered


def _issues(classifier, text):
    doc, orths, hits = classifier.lexicon.match(text)
    signals = read_signals(classifier.rules, doc, orths, hits, 0, False, {})
    return [(doc[i.hit.start : i.hit.end].text, i.source, i.state is not None, i.active) for i in signals.issues]


@pytest.mark.parametrize(
    "text, expected",
    [
        # nothing that can qualify a thing: a bare mention, active, without a state
        ("the dishwasher in the kitchen", [("dishwasher", "concept", False, True)]),
        # the state word is in the second sentence only
        (
            "the dishwasher. the oven is broken",
            [("dishwasher", "concept", False, True), ("oven", "state:failure", True, True)],
        ),
        # the nearest thing takes it ...
        (
            "the oven is broken and the dishwasher too",
            [("oven", "state:failure", True, True), ("dishwasher", "concept", False, True)],
        ),
        # ... and on a tie the thing before the state word
        ("oven broken dishwasher", [("oven", "state:failure", True, True), ("dishwasher", "concept", False, True)]),
        ("dishwasher broken oven", [("dishwasher", "state:failure", True, True), ("oven", "concept", False, True)]),
    ],
)
def test_a_state_word_belongs_to_the_nearest_thing_of_its_sentence(classifier, text, expected):
    assert _issues(classifier, text) == expected
