"""Danger frames: risk = who or what is at risk x what is happening, told in any order and any inflection.

A frame in rules/urgency.yaml (`frames:`) names slots of words; when a word of every slot is within `window`
tokens of a word of the first slot, in one sentence, the message has that danger: "my son is stuck in the
lift", "the lift stopped between floors with my mother inside" and "mio figlio è bloccato nell'ascensore"
are one frame (a person, a stuck word, a lift), not three phrases. Inflections come from the lexicon (each
word is matched by its canonical form). A frame hit becomes a hazard issue (`h:<name>`), so negation
("nobody is stuck"), resolution ("he is out now, all fine") and "it can wait" apply as for any hazard; a
negation word right before a slot word inside the span cancels it, and so does an `unless` word in its sentence ("the water is not near the socket").

Containment (`containment:`) is the other direction: "a bucket catches it", "once a minute" in the sentence
of an urgent danger, or the next one, lowers it to `contained_to` unless the danger is `steady`.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable

from classifiers.cues import Cue, CueKind, cue_key
from classifiers.issues import FrameWords, Signals
from classifiers.ruleset import Concept, Frame, RuleSet
from classifiers.spans import Hit, Nearby, gap, segments


def slot_key(name: str, index: int) -> str:
    """Lexicon list key of the own words of one slot of a frame."""
    return cue_key(CueKind.SLOT, f"{name}:{index}")


def unless_key(name: str) -> str:
    """Lexicon list key of the words that cancel a frame in their sentence."""
    return cue_key(CueKind.SLOT, f"{name}:unless")


def frame_lists(rules: RuleSet) -> dict[str, list[str]]:
    """Every frame word list for the lexicon: own slot words (not the `@list` references) and `unless` words."""
    lists: dict[str, list[str]] = {}
    for name, frame in rules.urgency.frames.items():
        for index, words in enumerate(frame.slots.values()):
            own = [w for w in words if not w.startswith("@")]
            if own:
                lists[slot_key(name, index)] = own
        if frame.unless:
            lists[unless_key(name)] = frame.unless
    if rules.urgency.containment is not None:
        lists[Cue.CONTAINMENT.value] = rules.urgency.containment.terms
    return lists


_CONCEPTS: dict[int, tuple[RuleSet, dict[str, Concept]]] = {}


def frame_concepts(rules: RuleSet) -> dict[str, Concept]:
    """`h:<frame>` -> the hazard a frame hit stands for (level, topic, weight), built once per rule set."""
    entry = _CONCEPTS.get(id(rules))
    if entry is None or entry[0] is not rules:
        mapping = {
            cue_key(CueKind.HAZARD, name): Concept(
                topic=f.topic, weight=f.weight, level=f.level, steady=f.steady, terms=[name]
            )
            for name, f in rules.urgency.frames.items()
        }
        if len(_CONCEPTS) > 16:
            _CONCEPTS.clear()
        entry = _CONCEPTS[id(rules)] = (rules, mapping)
    return entry[1]


# A frame by name, with the cue keys each of its slots is filled from.
SlotKeys = tuple[str, Frame, list[tuple[str, ...]]]
_KEYS: dict[int, tuple[RuleSet, list[SlotKeys]]] = {}


def _slot_keys(rules: RuleSet) -> list[SlotKeys]:
    """Per frame, the cue keys each slot is filled from (its own words, the `@lists`), built once per rule set."""
    entry = _KEYS.get(id(rules))
    if entry is None or entry[0] is not rules:
        table = [
            (
                name,
                frame,
                [
                    (slot_key(name, i), *(cue_key(CueKind.STATE, w[1:]) for w in words if w.startswith("@")))
                    for i, words in enumerate(frame.slots.values())
                ],
            )
            for name, frame in rules.urgency.frames.items()
        ]
        if len(_KEYS) > 16:
            _KEYS.clear()
        entry = _KEYS[id(rules)] = (rules, table)
    return entry[1]


def possible_frames(rules: RuleSet, cues: dict[str, list[Hit]]) -> list[SlotKeys]:
    """The frames every slot of which has a word somewhere in the message (most messages: none)."""
    return [entry for entry in _slot_keys(rules) if all(any(k in cues for k in keys) for keys in entry[2])]


def find_frames(
    rules: RuleSet, cues: dict[str, list[Hit]], sentence: Callable[[int], int], candidates: list[SlotKeys]
) -> list[tuple[Hit, FrameWords]]:
    """Hits (`h:<frame>`) of the `candidates` whose slots all occur close together, each with its slot words."""
    found = []
    negations = Nearby(cues.get(Cue.NEGATION, []))  # looked up by position: scanning all was quadratic
    for name, frame, keys in candidates:
        slots = [_slot_hits(slot, cues) for slot in keys]
        unless = {sentence(u.start) for u in cues.get(unless_key(name), [])}  # sentences holding one
        others = [Nearby(hits) for hits in slots[1:]]
        names = list(frame.slots)
        taken_end = -1
        for anchor in slots[0]:
            words = _nearest(anchor, others, frame.window, sentence)
            if words is None or anchor.start < taken_end:
                continue
            parts = [anchor, *words]
            start, end = min(h.start for h in parts), max(h.end for h in parts)
            here = sentence(anchor.start)
            if here in unless or _negated_inside(parts, negations, start, end):
                continue
            taken_end = end  # one hit per stretch of text, however many anchors it holds
            found.append((Hit(cue_key(CueKind.HAZARD, name), start, end), list(zip(names, parts))))
    return found


def _slot_hits(keys: tuple[str, ...], cues: dict[str, list[Hit]]) -> list[Hit]:
    if len(keys) == 1:
        return cues.get(keys[0], [])
    hits = [h for key in keys for h in cues.get(key, ())]
    hits.sort(key=lambda h: (h.start, -h.end))
    return hits


def _nearest(anchor: Hit, others: list[Nearby], window: int, sentence: Callable[[int], int]) -> list[Hit] | None:
    here = sentence(anchor.start)
    words: list[Hit] = []
    for group in others:
        near = [
            h
            for h in group.around(anchor, window)
            if gap(anchor, h) <= window
            and sentence(h.start) == here
            and not _overlap(h, anchor)
            and not any(_overlap(h, w) for w in words)
        ]
        if not near:
            return None
        words.append(min(near, key=lambda h: gap(anchor, h)))
    return words


def _negated_inside(parts: list[Hit], negations: Nearby, start: int, end: int) -> bool:
    """A negation word inside the span, not one of the slot words, right before a slot word ("not stuck")."""
    for cue in negations.near(start, end):
        if start <= cue.start and cue.end <= end and not any(_overlap(cue, p) for p in parts):
            if any(0 <= p.start - cue.end <= 1 for p in parts):
                return True
    return False


def _overlap(a: Hit, b: Hit) -> bool:
    return a.start < b.end and b.start < a.end


def apply_containment(rules: RuleSet, signals: Signals, orths: list[int], bounds: dict[int, int]) -> None:
    """Lower each active urgent danger with a containment word in its sentence or the next to `contained_to`."""
    cues = signals.cues.get(Cue.CONTAINMENT)
    if not cues:
        return
    sentence = functools.partial(bisect.bisect_right, segments(signals.doc, orths, bounds)[0])
    held = {sentence(cue.start) for cue in cues}
    lower = rules.urgency.contained_to
    for issue in signals.issues:
        if issue.active and issue.level == "urgent" and not issue.concept.steady:
            here = sentence(issue.hit.start)
            if here in held or here + 1 in held:
                issue.level, issue.contained = lower, True


def frame_evidence(signals: Signals) -> list[tuple[str, str]]:
    """(`frame:<name>`, "slot=words; …") for every active frame hit: why a dispatcher sees a danger."""
    out = []
    for issue in signals.issues:
        words = signals.frames.get((issue.hit.start, issue.hit.end, issue.name)) if issue.active else None
        if words:
            doc = signals.doc
            out.append((f"frame:{issue.name}", "; ".join(f"{slot}={doc[h.start : h.end].text}" for slot, h in words)))
    return out
