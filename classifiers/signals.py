"""Read one message into signals: the issues it reports, each with a level, negation and resolution.

Sits between the lexicon (phrase hits) and the decisions (topic, urgency). Reading is a list of named steps:
the hits are split into terms (what issues are about) and cues; terms told in several words (combinations,
frames) are found; state words and terms give way to one another (states.py); the cue words cancel one
another (context.py); then one issue per term, and the passes of `ISSUE_PASSES` set its level and flags.
"""

from __future__ import annotations

import bisect
import functools

from spacy.tokens import Doc

from classifiers.combine import find_combinations
from classifiers.context import Context, Ends, IssuePass, Scopes, read_qualifiers
from classifiers.cues import Cue, CueKind, cue_key, is_hazard, is_term, kind_of, name_of
from classifiers.frames import find_frames, frame_concepts, possible_frames
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
from classifiers.ruleset import Concept, RuleSet
from classifiers.spans import Hit, by_start_longest_first, drop_shorter, segments
from classifiers.states import drop_state_terms, mark_states
from intake.core.vocabulary import URGENCY_LEVELS

# Cues rules may ask about (`signal: vulnerable` in rules/assignment.yaml), by the name rules use; the other half of
# this contract is assignment.vocabulary.SIGNALS.
SIGNALS: dict[str, Cue] = {
    "minor": Cue.MINOR,
    "not-urgent": Cue.DEESCALATION,
    "recurring": Cue.RECURRENCE,
    "resolved": Cue.RESOLUTION,
    "vulnerable": Cue.VULNERABLE,
}
RANK = {level: len(URGENCY_LEVELS) - i for i, level in enumerate(URGENCY_LEVELS)}  # urgent=4 ... low=1
# The passes over a message's issues, in order: each may read what the ones before it set.
ISSUE_PASSES: tuple[IssuePass, ...] = (
    mark_states,
    mark_negated,
    mark_benign,
    mark_resolved,
    mark_minor,
    mark_asked,
    mark_settled,
    mark_active,
)
_COMPOSITE_PARTS = frozenset((CueKind.GROUP, CueKind.SLOT))  # words of a combination's group or a frame's slot


def rank(level: str | None) -> int:
    """How urgent a level is: urgent 4 … low 1, and 0 for no level (a mere mention)."""
    return RANK[level] if level else 0


def read_signals(
    rules: RuleSet,
    doc: Doc,
    orths: list[int],
    hits: list[tuple[str, int, int]],
    subject_end: int,
    reply: bool = False,
    bounds: dict[int, int] | None = None,
) -> Signals:
    """Turn phrase hits into issues with levels and scopes; keep every other hit as a cue."""
    signals, context = gather_issues(rules, doc, orths, hits, subject_end, reply, {} if bounds is None else bounds)
    if context is not None:
        for mark in ISSUE_PASSES:
            mark(signals.issues, context)
    return signals


def gather_issues(
    rules: RuleSet,
    doc: Doc,
    orths: list[int],
    hits: list[tuple[str, int, int]],
    subject_end: int,
    reply: bool,
    bounds: dict[int, int],
) -> tuple[Signals, Context | None]:
    """The message's cues and its issues as the terms give them, and what the issue passes need to qualify them
    (None when nothing in the message can: about a third of messages, read without scopes)."""
    signals = Signals(doc=doc, subject_end=subject_end, reply=reply)
    cues = signals.cues
    terms, grouped = split_hits(hits, cues)
    ends = None
    if grouped:
        terms, ends = find_composites(rules, signals, terms, orths, bounds)
    if not terms and not signals.frames:
        signals.resolved_message = Cue.RESOLUTION in cues and Cue.RECURRENCE not in cues
        return signals, None
    terms, failures, impaired = drop_state_terms(drop_shorter(terms), cues)  # "small leak" beats "leak"
    if signals.frames:  # a frame hides no word inside it: "leak" in "the ceiling is leaking" still votes plumbing,
        # a state word inside its span still belongs to its own thing; frames come last, so on a tie the stock word
        # a dispatcher knows ("hazard:leak") is the evidence named first
        terms += [Hit(cue_key(CueKind.HAZARD, name), start, end) for start, end, name in signals.frames]
    qualifiers = read_qualifiers(cues, failures, impaired)
    signals.resolved_message = bool(qualifiers.resolutions) and not qualifiers.recurrences
    signals.issues = make_issues(rules, terms, subject_end)
    if not qualifiers.can_qualify() and not any(issue.concept.asked for issue in signals.issues):
        return signals, None
    scopes = Scopes.of(ends or segments(doc, orths, bounds))
    return signals, Context(signals, qualifiers, scopes, rules.urgency)


def split_hits(hits: list[tuple[str, int, int]], cues: dict[str, list[Hit]]) -> tuple[list[Hit], bool]:
    """The terms (concept and hazard hits, in text order); every other hit goes to `cues` by its list key. Also
    whether a word of a combination's group or a frame's slot was seen (most messages: none)."""
    terms: list[Hit] = []
    grouped = False
    for key, start, end in hits:
        if is_term(key):
            terms.append(Hit(key, start, end))
        else:
            grouped = grouped or kind_of(key) in _COMPOSITE_PARTS
            found = cues.get(key)
            if found is None:
                cues[key] = [Hit(key, start, end)]
            else:
                found.append(Hit(key, start, end))
    return terms, grouped


def find_composites(
    rules: RuleSet, signals: Signals, terms: list[Hit], orths: list[int], bounds: dict[int, int]
) -> tuple[list[Hit], Ends | None]:
    """Concepts and hazards told in several words near each other: combinations join the terms (in text order),
    frames go to `signals.frames` with their words. Also the scopes, when they had to be found for this."""
    combinations = rules.urgency.combinations
    framed = possible_frames(rules, signals.cues) if rules.urgency.frames else None
    if not combinations and not framed:
        return terms, None
    ends = segments(signals.doc, orths, bounds)
    sentence_of = functools.partial(bisect.bisect_right, ends[0])
    combined = find_combinations(combinations, rules.urgency.hazards, signals.cues, sentence_of)
    for hit, words in find_frames(rules, signals.cues, sentence_of, framed) if framed else ():
        signals.frames[hit.start, hit.end, name_of(hit.key)] = words
    if combined:  # the terms are already in order otherwise
        terms = sorted(terms + combined, key=by_start_longest_first)
    return terms, ends


def make_issues(rules: RuleSet, terms: list[Hit], subject_end: int) -> list[Issue]:
    """One issue per term, with its concept's level: a mention, not yet qualified by anything around it."""
    concept_of = concepts_by_key(rules)
    issues = []
    for hit in terms:
        concept = concept_of[hit.key]
        source = "hazard" if is_hazard(hit.key) else "concept"
        issues.append(Issue(name_of(hit.key), concept, hit, concept.level, source, in_subject=hit.start < subject_end))
    return issues


_CONCEPTS: dict[int, tuple[RuleSet, dict[str, Concept]]] = {}


def concepts_by_key(rules: RuleSet) -> dict[str, Concept]:
    """Lexicon key ("c:heating", "h:leak") -> its concept or hazard, built once per rule set."""
    entry = _CONCEPTS.get(id(rules))
    if entry is None or entry[0] is not rules:  # the rule set is kept in the entry, so its id is not reused
        mapping = {cue_key(CueKind.CONCEPT, name): c for name, c in rules.taxonomy.concepts.items()}
        mapping |= {cue_key(CueKind.HAZARD, name): h for name, h in rules.urgency.hazards.items()}
        mapping |= frame_concepts(rules)
        if len(_CONCEPTS) > 16:  # tests load many rule sets
            _CONCEPTS.clear()
        entry = _CONCEPTS[id(rules)] = (rules, mapping)
    return entry[1]
