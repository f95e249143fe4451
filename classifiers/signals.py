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
from classifiers.models import URGENCY_LEVELS
from classifiers.ruleset import Concept, RuleSet

RANK = {level: len(URGENCY_LEVELS) - i for i, level in enumerate(URGENCY_LEVELS)}  # urgent=4 ... low=1
_SENTENCE_ENDS = {".", "!", "?", ";", "...", "!!", "!!!", "??"}
_CONTRASTS = {"but", "pero", "mas", "aber", "mais", "tho", "though", "however", "except", "ma", "mais"}
_CLAUSE_BREAKS = {",", "-", "—", ":"} | _CONTRASTS


@dataclass(slots=True)
class Hit:
    key: str  # lexicon list key, e.g. "c:heating", "h:gas-smell", "s:failure"
    start: int
    end: int


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

    @property
    def active(self) -> bool:
        return not self.negated and not self.resolved


@dataclass(slots=True)
class Signals:
    doc: Doc
    subject_end: int  # tokens before this index are the subject line
    issues: list[Issue] = field(default_factory=list)
    cues: dict[str, list[Hit]] = field(default_factory=dict)  # "s:…", "u:…", "p:…", "b:…" hits by key
    reply: bool = False  # the subject had a reply/forward prefix
    resolved_message: bool = False  # a resolution word with no "still"/"again" anywhere

    def has(self, key: str) -> bool:
        return bool(self.cues.get(key))


def _segments(doc: Doc, orths: list[int], bounds: dict[int, int]) -> tuple[list[int], list[int], list[int]]:
    """Token indexes where sentences, contrasts ("but") and clauses end, each list including the coarser ends."""
    sentence_ends, contrast_ends, clause_ends = [], [], []
    for i, orth in enumerate(orths):
        kind = bounds.get(orth)
        if kind is None:
            text = doc[i].text
            kind = 3 if "\n" in text or text in _SENTENCE_ENDS else 2 if text in _CONTRASTS else int(text in _CLAUSE_BREAKS)
            bounds[orth] = kind
        if kind:
            clause_ends.append(i)
            if kind >= 2:
                contrast_ends.append(i)
            if kind == 3:
                sentence_ends.append(i)
    return sentence_ends, contrast_ends, clause_ends


def _inside(hit: Hit, spans: list[Hit]) -> bool:
    return any(span.start <= hit.start and hit.end <= span.end and span is not hit for span in spans)


def read_signals(rules: RuleSet, doc: Doc, orths: list[int], hits: list[tuple[str, int, int]], subject_end: int,
                 reply: bool = False, bounds: dict[int, int] | None = None) -> Signals:
    """Turn phrase hits into issues with levels and scopes; keep every other hit as a cue."""
    signals = Signals(doc=doc, subject_end=subject_end, reply=reply)
    cues = signals.cues
    raw: list[Hit] = []
    for key, start, end in hits:
        if key[0] in "ch":
            raw.append(Hit(key, start, end))
        else:
            cues.setdefault(key, []).append(Hit(key, start, end))
    combinations = rules.urgency.combinations
    if combinations and any(key.startswith("k:") for key in cues):
        ends = _segments(doc, orths, {} if bounds is None else bounds)[0]
        raw += find_combinations(combinations, rules.urgency.hazards, cues,
                                 functools.partial(bisect.bisect_right, ends), Hit)
        raw.sort(key=_by_start_longest_first)
    if not raw:
        signals.resolved_message = "s:resolution" in cues and "s:recurrence" not in cues
        return signals
    get = cues.get
    failures, impaired = get("s:failure", []), get("s:impaired", [])
    raw = _drop_shorter(raw)  # "small leak" beats "leak" when both are terms
    if failures or impaired:  # "dont heat" is a state, not the heating
        raw = [h for h in raw if not _inside(h, failures) and not _inside(h, impaired)]
    resolutions = [h for h in get("s:resolution", []) if not _overlaps_any(h, failures)]  # "stopped working again"
    quiet = get("s:deescalation", []) + resolutions
    negations = get("s:negation", [])
    if quiet:
        failures = [h for h in failures if not _inside(h, quiet)]
        impaired = [h for h in impaired if not _inside(h, quiet)]
        negations = [h for h in negations if not _inside(h, quiet)]
    recurrences = [h for h in get("s:recurrence", []) if not _inside(h, resolutions)]
    minors = get("s:minor", [])
    benign = get("s:benign", [])
    signals.resolved_message = bool(resolutions) and not recurrences
    sentence_ends, contrast_ends, clause_ends = ([], [], [])
    if failures or impaired or negations or resolutions or minors or benign:
        sentence_ends, contrast_ends, clause_ends = _segments(doc, orths, {} if bounds is None else bounds)
    sentence = functools.partial(bisect.bisect_right, sentence_ends)
    clause = functools.partial(bisect.bisect_right, clause_ends)
    span = functools.partial(bisect.bisect_right, contrast_ends)  # resolution scope: "fixed now, but still…"
    concepts, hazards = rules.taxonomy.concepts, rules.urgency.hazards
    found = [(h, hazards[h.key[2:]] if h.key[0] == "h" else concepts[h.key[2:]]) for h in raw]
    attached = _attach_states(found, failures, impaired, sentence, rules.urgency.state_window)
    neg_window = rules.urgency.negation_window
    for hit, concept in found:
        issue = Issue(hit.key[2:], concept, hit, concept.level, "hazard" if hit.key[0] == "h" else "concept")
        issue.in_subject = hit.start < subject_end
        state = attached.get(id(hit))
        if state is not None:
            kind, issue.state = state
            issue.level, issue.source = getattr(concept, kind), f"state:{kind}"
        elif issue.level and negations:
            issue.negated = any(clause(cue.start) == clause(hit.start) and 0 <= hit.start - cue.end < neg_window
                                and not _overlaps(cue, hit) for cue in negations)
        if benign and issue.source == "hazard" and not issue.negated:  # "cigarette smoke", "needs a new battery"
            issue.negated = any(sentence(cue.start) == sentence(hit.start) for cue in benign)
        if resolutions:
            here = span(hit.start)
            if any(span(cue.start) == here for cue in resolutions):
                issue.resolved = not any(span(cue.start) == here for cue in recurrences)
            elif issue.in_subject:
                issue.resolved = signals.resolved_message
        if minors:
            issue.minor = any(clause(cue.start) == clause(hit.start) and _gap(cue, hit) <= 3 for cue in minors)
        signals.issues.append(issue)
    return signals


def _attach_states(found, failures, impaired, sentence, window) -> dict[int, tuple[str, Hit]]:
    """A state word belongs to the nearest thing it can describe ("the thermostat doesn't respond"), unless
    it negates the danger right after it ("no gas smell, just checking the boiler" is not "no boiler")."""
    hazard_starts = {h.start for h, _ in found if h.key[0] == "h"}
    attached: dict[int, tuple[str, Hit]] = {}
    for kind, cue_list in (("impaired", impaired), ("failure", failures)):
        for cue in cue_list:
            if cue.end in hazard_starts:
                continue
            near = [h for h, concept in found if getattr(concept, kind) and _gap(cue, h) <= window
                    and not _overlaps(cue, h) and sentence(h.start) == sentence(cue.start)]
            if near:
                target = min(near, key=lambda h: (_gap(cue, h), h.start > cue.start))
                attached.setdefault(id(target), (kind, cue))
    return attached


def _by_start_longest_first(hit: Hit) -> tuple[int, int]:
    return hit.start, -hit.end


def _drop_shorter(hits: list[Hit]) -> list[Hit]:
    """Hits not strictly inside a longer hit of another list, in one sweep over hits sorted by start."""
    kept, cover = [], None
    for hit in hits:  # sorted by start, longest first
        if cover is not None and hit.end <= cover.end and cover.key != hit.key and (
                cover.end - cover.start) > (hit.end - hit.start):
            continue
        kept.append(hit)
        if cover is None or hit.end > cover.end:
            cover = hit
    return kept


def _overlaps(a: Hit, b: Hit) -> bool:
    return a.start < b.end and b.start < a.end


def _overlaps_any(hit: Hit, others: list[Hit]) -> bool:
    """Partly overlaps one of `others` (neither inside the other): "stopped [working] again"."""
    return any(_overlaps(hit, o) and not (o.start <= hit.start and hit.end <= o.end)
               and not (hit.start <= o.start and o.end <= hit.end) for o in others)


def _gap(a: Hit, b: Hit) -> int:
    if a.end <= b.start:
        return b.start - a.end
    if b.end <= a.start:
        return a.start - b.end
    return 0
