"""Each step of reading a message's signals on its own (classifiers/signals.py, states.py, context.py, qualify.py):
splitting the hits, composites, state words, cues cancelling cues, and every pass over the issues."""

from __future__ import annotations

import pytest

from classifiers.context import Scopes, read_qualifiers
from classifiers.cues import Cue
from classifiers.issues import Issue, Signals
from classifiers.qualify import (
    mark_active,
    mark_asked,
    mark_benign,
    mark_minor,
    mark_negated,
    mark_resolved,
    mark_settled,
)
from classifiers.ruleset import Concept
from classifiers.signals import ISSUE_PASSES, find_composites, gather_issues, make_issues, split_hits
from classifiers.spans import Hit
from classifiers.states import drop_state_terms, mark_states


def _gather(classifier, text, subject_end=0):
    doc, orths, hits = classifier.lexicon.match(text)
    return gather_issues(classifier.rules, doc, orths, hits, subject_end, False, {})


def _after(classifier, text, *passes, subject_end=0):
    """The issues of `text` after only `passes` ran over them."""
    signals, context = _gather(classifier, text, subject_end)
    assert context is not None
    for mark in passes:
        mark(signals.issues, context)
    return signals.issues


def _named(issues, name):
    (issue,) = [i for i in issues if i.name == name]
    return issue


# ---- before the issues exist


def test_hits_split_into_terms_and_cues_and_say_whether_a_composite_word_was_seen():
    cues: dict[str, list[Hit]] = {}
    terms, grouped = split_hits([("c:sink", 0, 1), ("s:failure", 1, 2), ("h:leak", 2, 3), ("s:failure", 4, 5)], cues)
    assert terms == [Hit("c:sink", 0, 1), Hit("h:leak", 2, 3)]
    assert cues == {"s:failure": [Hit("s:failure", 1, 2), Hit("s:failure", 4, 5)]}
    assert not grouped
    assert split_hits([("k:gas-smell:0", 0, 1)], {})[1]
    assert split_hits([("f:trapped-in-lift:0", 0, 1)], {})[1]


def test_composites_add_combinations_to_the_terms_and_frames_to_the_signals(classifier):
    signals, _ = _gather(classifier, "it smells a bit like gas")
    assert [i.name for i in signals.issues] == ["gas-smell"]
    signals, _ = _gather(classifier, "my son is stuck in the lift")
    assert [name for _, _, name in signals.frames] == ["trapped-in-lift"]
    # the combination joins the terms, and the scopes found for it come back to be used again
    doc, orths, hits = classifier.lexicon.match("a strong gas odour")
    fresh = Signals(doc=doc, subject_end=0)
    terms, grouped = split_hits(hits, fresh.cues)
    assert [t.key for t in terms] == ["c:gas-supply"] and grouped
    terms, ends = find_composites(classifier.rules, fresh, terms, orths, {})
    assert [t.key for t in terms] == ["h:gas-smell", "c:gas-supply"] and ends is not None  # longest first


def test_a_term_inside_a_state_is_the_state_and_a_state_inside_a_longer_term_is_the_terms():
    dont_heat = {"s:failure": [Hit("s:failure", 0, 2)]}
    assert drop_state_terms([Hit("c:heating", 1, 2)], dont_heat) == ([], [Hit("s:failure", 0, 2)], [])
    moved_out = {"s:failure": [Hit("s:failure", 1, 2)]}
    assert drop_state_terms([Hit("c:move", 0, 2)], moved_out) == ([Hit("c:move", 0, 2)], [], [])


def test_cue_words_cancel_one_another():
    failing = [Hit("s:failure", 1, 3)]  # "stopped working" ...
    assert read_qualifiers({"s:resolution": [Hit("s:resolution", 2, 4)]}, failing, []).resolutions == []  # "again"
    calm = {"s:deescalation": [Hit("s:deescalation", 5, 7)], "s:negation": [Hit("s:negation", 5, 6)]}
    assert read_qualifiers(calm, [], []).negations == []  # "not" of "not urgent"
    fixed_again = {"s:resolution": [Hit("s:resolution", 0, 3)], "s:recurrence": [Hit("s:recurrence", 2, 3)]}
    assert read_qualifiers(fixed_again, [], []).recurrences == []
    past = {"s:past": [Hit("s:past", 0, 1)]}
    assert read_qualifiers(past, [], []).pasts == []  # only in a message about paying for it
    assert read_qualifiers(past | {"s:settled": [Hit("s:settled", 4, 5)]}, [], []).pasts == [Hit("s:past", 0, 1)]


def test_scopes_number_sentences_spans_and_clauses():
    scopes = Scopes.of(([5], [2, 5], [1, 2, 5]))
    assert [scopes.sentence(i) for i in (0, 5, 6)] == [0, 1, 1]
    assert [scopes.span(i) for i in (1, 2, 3)] == [0, 1, 1]
    assert [scopes.clause(i) for i in (0, 1, 3)] == [0, 1, 2]


def test_one_unqualified_issue_per_term(classifier):
    issues = make_issues(classifier.rules, [Hit("c:heating", 0, 1), Hit("h:leak", 3, 4)], subject_end=2)
    assert [(i.name, i.source, i.in_subject, i.active, i.level) for i in issues] == [
        ("heating", "concept", True, True, None),
        ("leak", "hazard", False, True, "urgent"),
    ]


def test_a_message_nothing_can_qualify_skips_the_passes(classifier):
    signals, context = _gather(classifier, "the dishwasher in the kitchen")
    assert context is None and [i.name for i in signals.issues] == ["appliance"]


# ---- the passes over the issues


def test_the_passes_attach_states_first_and_settle_activity_last():
    assert ISSUE_PASSES[0] is mark_states and ISSUE_PASSES[-1] is mark_active
    assert len(set(ISSUE_PASSES)) == len(ISSUE_PASSES)


def test_a_state_word_gives_the_nearest_thing_its_level(classifier):
    oven = _named(_after(classifier, "the oven is broken", mark_states), "appliance")
    assert (oven.source, oven.level, oven.state is not None) == ("state:failure", "standard", True)
    # ... but not the "no" of a danger right after it
    boiler = _named(_after(classifier, "no gas smell, just checking the boiler", mark_states), "heating")
    assert boiler.state is None and boiler.source == "concept"


def test_a_negation_right_before_a_danger_negates_it_but_not_a_thing_with_a_state(classifier):
    assert _named(_after(classifier, "there is no gas smell", mark_negated), "gas-smell").negated
    assert not _named(_after(classifier, "the oven is not working", mark_states, mark_negated), "appliance").negated


def test_a_benign_word_in_its_sentence_makes_a_danger_harmless(classifier):
    issues = _after(classifier, "cigarette smoke in the hallway", mark_benign)
    assert _named(issues, "fire-smoke").negated
    assert not _named(issues, "neighbor-dispute").negated  # a concept, not a danger


def test_a_resolution_resolves_its_span_unless_something_recurs_there(classifier):
    issues = _after(classifier, "the heater works again now, but the tap still drips", mark_resolved)
    heating, drip = _named(issues, "heating"), _named(issues, "drip")
    assert heating.resolved and heating.fixed
    assert not drip.resolved and not drip.fixed


def test_a_thing_in_the_subject_is_resolved_when_the_message_is(classifier):
    issues = _after(classifier, "heating\nall fixed now thanks", mark_resolved, subject_end=1)
    heating = _named(issues, "heating")
    assert heating.in_subject and heating.resolved and not heating.fixed


def test_a_small_word_right_next_to_a_thing_makes_it_minor(classifier):
    assert _named(_after(classifier, "there is a small leak under the sink", mark_minor), "leak").minor
    assert not _named(_after(classifier, "there is a leak under the sink. small kitchen", mark_minor), "leak").minor


@pytest.mark.parametrize(
    "text, asked",
    [("could you send me the receipts?", True), ("also, could you send me the receipts?", False)],
)
def test_a_concept_is_asked_about_in_a_request_that_is_no_aside(classifier, text, asked):
    assert _named(_after(classifier, text, mark_asked), "payment").asked is asked


def test_a_danger_told_in_the_past_in_a_message_about_paying_for_it_is_settled(classifier):
    text = "the drain was backing up and flooding, I paid the plumber invoice"
    issues = _after(classifier, text, mark_settled)
    settled = [i for i in issues if i.settled]
    assert [i.name for i in settled] == ["flood"] and all(i.resolved for i in settled)
    assert not any(i.settled for i in _after(classifier, "the drain is backing up and flooding, invoice", mark_settled))


def test_an_issue_is_active_unless_negated_or_resolved(classifier):
    _, context = _gather(classifier, "the oven is broken")
    flags = [{}, {"negated": True}, {"resolved": True}, {"negated": True, "resolved": True}]
    issues = [Issue("x", Concept(terms=["x"]), Hit("c:x", 0, 1), None, "concept", **f) for f in flags]
    mark_active(issues, context)
    assert [i.active for i in issues] == [True, False, False, False]


def test_cues_are_looked_up_by_their_enum_members_as_by_their_keys():
    cues = {"s:failure": [Hit("s:failure", 0, 1)]}
    assert cues.get(Cue.FAILURE) == cues["s:failure"] and Cue.FAILURE in cues
