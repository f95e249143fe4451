"""Read one message into signals: the issues it reports, each with a level, negation and resolution.

Sits between the lexicon (phrase hits) and the decisions (topic, urgency). An *issue* is a concept or
hazard hit that says something is wrong; its level comes from the concept (`level`), or from a failure /
impairment word in the same sentence (`failure`, `impaired`). Scopes are sentences (. ! ? ; new line)
and clauses (also commas and "but"); windows are counted in tokens.
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass, field

from spacy.tokens import Doc

from classifiers.combine import find_combinations
from classifiers.frames import find_frames, frame_concepts, possible_frames
from classifiers.ruleset import Concept, RuleSet
from classifiers.spans import (
    Hit,
    Nearby,
    by_start_longest_first,
    drop_shorter,
    gap,
    inside,
    inside_longer,
    is_question,
    overlaps,
    overlaps_any,
    segments,
)
from intake.core.vocabulary import URGENCY_LEVELS

# Cues rules may ask about (`signal: vulnerable` in rules/assignment.yaml), by the name rules use; the other half of
# this contract is assignment.vocabulary.SIGNALS.
SIGNALS: dict[str, str] = {
    "minor": "s:minor",
    "not-urgent": "s:deescalation",
    "recurring": "s:recurrence",
    "resolved": "s:resolution",
    "vulnerable": "s:vulnerable",
}
RANK = {level: len(URGENCY_LEVELS) - i for i, level in enumerate(URGENCY_LEVELS)}  # urgent=4 ... low=1


@dataclass(slots=True)
class Issue:
    name: str
    concept: Concept
    hit: Hit
    level: str | None  # None: a mention without urgency of its own
    source: str  # "concept", "hazard", "state:failure", "state:impaired"
    negated: bool = False
    resolved: bool = False
    minor: bool = False
    in_subject: bool = False
    state: Hit | None = None
    active: bool = True  # neither negated nor resolved: set once by read_signals, read by every decision
    fixed: bool = False  # resolved by a word right next to it ("the door closes properly now")
    asked: bool = False  # in a request or question sentence ("could you send me the receipts?")
    settled: bool = False  # a past danger in a message about paying for it: over, and only context
    contained: bool = False  # an urgent danger held in check ("a bucket catches it"): lowered (frames.py)


@dataclass(slots=True)
class Signals:
    doc: Doc
    subject_end: int  # tokens before this index are the subject line
    issues: list[Issue] = field(default_factory=list)
    cues: dict[str, list[Hit]] = field(default_factory=dict)  # "s:…", "u:…", "p:…", "b:…" hits by key
    reply: bool = False  # the subject had a reply/forward prefix
    resolved_message: bool = False  # a resolution word with no "still"/"again" anywhere
    texts: dict[tuple[int, int], str] = field(default_factory=dict)  # evidence text of token spans (cache)
    frames: dict[tuple[int, int, str], list] = field(default_factory=dict)  # frame hit -> its (slot, word hit)s

    def has(self, key: str) -> bool:
        return bool(self.cues.get(key))


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
    signals = Signals(doc=doc, subject_end=subject_end, reply=reply)
    cues = signals.cues
    raw: list[Hit] = []
    grouped = False  # a word of a combination's group was seen
    for key, start, end in hits:
        first = key[0]
        if first == "c" or first == "h":
            raw.append(Hit(key, start, end))
        else:
            grouped = grouped or first == "k" or first == "f"
            found = cues.get(key)
            if found is None:
                cues[key] = [Hit(key, start, end)]
            else:
                found.append(Hit(key, start, end))
    combinations = rules.urgency.combinations
    bounds = {} if bounds is None else bounds
    scopes = None
    framed = possible_frames(rules, cues) if grouped and rules.urgency.frames else None
    if (combinations and grouped) or framed:
        scopes = segments(doc, orths, bounds)
        ends = scopes[0]
        sentence_of = functools.partial(bisect.bisect_right, ends)
        combined = find_combinations(combinations, rules.urgency.hazards, cues, sentence_of, Hit)
        for hit, words in find_frames(rules, cues, sentence_of, framed) if framed else ():
            signals.frames[hit.start, hit.end, hit.key[2:]] = words
        if combined:  # `raw` is already in order otherwise
            raw += combined
            raw.sort(key=by_start_longest_first)
    if not raw and not signals.frames:
        signals.resolved_message = "s:resolution" in cues and "s:recurrence" not in cues
        return signals
    get = cues.get
    failures, impaired = get("s:failure", []), get("s:impaired", [])
    raw = drop_shorter(raw)  # "small leak" beats "leak" when both are terms
    if failures or impaired:  # "dont heat" is a state, not the heating
        states = Nearby(failures + impaired)
        raw = [h for h in raw if not inside(h, states.around(h))]
        # ... and the "out" of "moved out" is part of a longer term, not a state of the keys next to it
        terms = Nearby(raw)
        failures = [h for h in failures if not inside_longer(h, terms.around(h))]
        impaired = [h for h in impaired if not inside_longer(h, terms.around(h))]
    if signals.frames:  # a frame hides no word inside it: "leak" in "the ceiling is leaking" still votes plumbing,
        # a state word inside its span still belongs to its own thing; frames come last, so on a tie the stock word
        # a dispatcher knows ("hazard:leak") is the evidence named first
        raw += [Hit(f"h:{name}", start, end) for start, end, name in signals.frames]
    resolutions = get("s:resolution", [])
    if resolutions and failures:
        failing = Nearby(failures)
        resolutions = [h for h in resolutions if not overlaps_any(h, failing.around(h))]  # "stopped working again"
    quiet = get("s:deescalation", []) + resolutions
    negations = get("s:negation", [])
    if quiet:
        calm = Nearby(quiet)
        failures = [h for h in failures if not inside(h, calm.around(h))]
        impaired = [h for h in impaired if not inside(h, calm.around(h))]
        negations = [h for h in negations if not inside(h, calm.around(h))]
    recurrences = get("s:recurrence", [])
    if recurrences and resolutions:
        resolving = Nearby(resolutions)
        recurrences = [h for h in recurrences if not inside(h, resolving.around(h))]
    minors = get("s:minor", [])
    benign = get("s:benign", [])
    signals.resolved_message = bool(resolutions) and not recurrences
    requests, asides = get("s:request", []), get("s:aside", [])  # "also, can you tell me…" is a side question
    pasts = get("s:past", []) if "s:settled" in cues and not recurrences else []
    concept_of = _concepts_by_key(rules)
    found = [(h, concept_of[h.key]) for h in raw]
    asking = False
    for _, concept in found:
        if concept.asked:
            asking = True
            break
    issues = signals.issues
    if not (failures or impaired or negations or resolutions or minors or benign or pasts or asking):
        # Nothing in the message can qualify an issue (about a third of messages): no scopes to read.
        for hit, concept in found:
            key = hit.key
            issues.append(
                Issue(
                    key[2:],
                    concept,
                    hit,
                    concept.level,
                    "hazard" if key[0] == "h" else "concept",
                    in_subject=hit.start < subject_end,
                )
            )
        return signals
    sentence_ends, contrast_ends, clause_ends = scopes or segments(doc, orths, bounds)
    sentence = functools.partial(bisect.bisect_right, sentence_ends)
    clause = functools.partial(bisect.bisect_right, clause_ends)
    span = functools.partial(bisect.bisect_right, contrast_ends)  # resolution scope: "fixed now, but still…"
    attached = _attach_states(found, failures, impaired, sentence, rules.urgency.state_window)
    neg_window = rules.urgency.negation_window
    # Cues are looked up near each issue, and scopes as sets, not compared pairwise (see `Nearby`)
    negation_cues, resolution_cues, minor_cues, past_cues = map(Nearby, (negations, resolutions, minors, pasts))
    benign_sentences = {sentence(cue.start) for cue in benign} if benign else ()
    resolved_spans = {span(cue.start) for cue in resolutions} if resolutions else ()
    recurring_spans = {span(cue.start) for cue in recurrences} if recurrences else ()
    aside_sentences = {sentence(cue.start) for cue in asides} if asides else ()
    request_sentences = {sentence(cue.start) for cue in requests} if requests else ()
    for hit, concept in found:
        start = hit.start
        issue = Issue(
            hit.key[2:],
            concept,
            hit,
            concept.level,
            "hazard" if hit.key[0] == "h" else "concept",
            in_subject=start < subject_end,
        )
        state = attached.get(id(hit)) if attached else None
        if state is not None:
            kind, issue.state = state
            issue.level, issue.source = getattr(concept, kind), f"state:{kind}"
        elif issue.level and negations:
            here = clause(start)
            issue.negated = any(
                0 <= start - cue.end < neg_window and clause(cue.start) == here and not overlaps(cue, hit)
                for cue in negation_cues.around(hit, neg_window)
            )
        if benign and issue.source == "hazard" and not issue.negated:  # "cigarette smoke", "needs a new battery"
            issue.negated = sentence(start) in benign_sentences
        if resolutions:
            here = span(start)
            if here in resolved_spans:
                issue.resolved = here not in recurring_spans
                # "the door closes properly now": the resolution says what the thing was about
                issue.fixed = issue.resolved and any(gap(cue, hit) <= 3 for cue in resolution_cues.around(hit, 3))
            elif issue.in_subject:
                issue.resolved = signals.resolved_message
        if minors:
            here = clause(start)
            issue.minor = any(gap(cue, hit) <= 3 and clause(cue.start) == here for cue in minor_cues.around(hit, 3))
        if asking and concept.asked:
            here = sentence(start)
            issue.asked = here not in aside_sentences and (
                here in request_sentences or is_question(doc, sentence_ends, here)
            )
        if pasts and issue.level and not issue.resolved:  # "water was backing up … I paid the plumber's invoice"
            # a frame is told in the past when any of its words is ("the drain … water was backing up")
            words = signals.frames.get((start, hit.end, issue.name)) if signals.frames else None
            starts = [w.start for _, w in words] if words else [start]
            issue.resolved = issue.settled = any(
                0 <= at - cue.end <= 1 and clause(cue.start) == clause(at)
                for at in starts
                for cue in past_cues.around(hit, 1)
            )
        issue.active = not issue.negated and not issue.resolved
        issues.append(issue)
    return signals


_CONCEPTS: dict[int, tuple[RuleSet, dict[str, Concept]]] = {}


def _concepts_by_key(rules: RuleSet) -> dict[str, Concept]:
    """Lexicon key ("c:heating", "h:leak") -> its concept or hazard, built once per rule set."""
    entry = _CONCEPTS.get(id(rules))
    if entry is None or entry[0] is not rules:  # the rule set is kept in the entry, so its id is not reused
        mapping = {f"c:{name}": c for name, c in rules.taxonomy.concepts.items()}
        mapping |= {f"h:{name}": h for name, h in rules.urgency.hazards.items()}
        mapping |= frame_concepts(rules)
        if len(_CONCEPTS) > 16:  # tests load many rule sets
            _CONCEPTS.clear()
        entry = _CONCEPTS[id(rules)] = (rules, mapping)
    return entry[1]


def _attach_states(found, failures, impaired, sentence, window) -> dict[int, tuple[str, Hit]]:
    """A state word belongs to the nearest thing it can describe ("the thermostat doesn't respond"), unless
    it negates the danger right after it ("no gas smell, just checking the boiler" is not "no boiler")."""
    attached: dict[int, tuple[str, Hit]] = {}
    if not failures and not impaired:
        return attached
    hazard_starts = {h.start for h, _ in found if h.key[0] == "h"}
    for kind, cue_list in (("impaired", impaired), ("failure", failures)):
        if not cue_list:
            continue
        targets: dict[int, list[Hit]] = {}  # by sentence, in text order: once per kind
        for h, concept in found:
            if getattr(concept, kind):
                targets.setdefault(sentence(h.start), []).append(h)
        if not targets:
            continue
        for cue in cue_list:
            start, end = cue.start, cue.end
            if end in hazard_starts:
                continue
            here = sentence(start)
            # In the same sentence, not overlapping the cue, and at most `window` tokens before or after it.
            near = [h for h in targets.get(here, ()) if 0 <= h.start - end <= window or 0 <= start - h.end <= window]
            if near:
                target = near[0] if len(near) == 1 else min(near, key=lambda h: (gap(cue, h), h.start > start))
                attached.setdefault(id(target), (kind, cue))
    return attached
