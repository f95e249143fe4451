"""Concepts found by several words near each other rather than by one fixed phrase.

A combination in rules/urgency.yaml (`combinations:`) names a hazard or concept and groups of words; when a
word of every group is within `window` tokens of a word of the first group, in the same sentence and in any
order, the message has that hazard or concept, with the whole span as evidence. "strong gas odor",
"it smells a bit like gas", "hay un olor muy fuerte a gas" and "es riecht stark nach Gas" are one pattern
(a gas word and a smell word), not four phrases.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Container, Mapping

from classifiers.cues import CueKind, cue_key
from classifiers.ruleset import Combination
from classifiers.spans import Hit, Nearby


def group_key(name: str, index: int) -> str:
    """Lexicon list key of one word group of a combination."""
    return cue_key(CueKind.GROUP, f"{name}:{index}")


@functools.lru_cache(maxsize=1024)
def _group_keys(name: str, size: int) -> tuple[str, ...]:
    return tuple(group_key(name, i) for i in range(size))


def find_combinations(
    combinations: Mapping[str, Combination],
    hazards: Container[str],
    cues: Mapping[str, list[Hit]],
    sentence: Callable[[int], int],
) -> list[Hit]:
    """Hits (hazard or concept keys) of every combination whose word groups all occur close together."""
    found: list[Hit] = []
    for name, combo in combinations.items():
        keys = _group_keys(name, len(combo.all_of))
        if keys[0] not in cues:  # most messages: skip before looking at the other groups
            continue
        groups = [cues.get(key) or [] for key in keys]
        if not all(groups):
            continue
        key = cue_key(CueKind.HAZARD if name in hazards else CueKind.CONCEPT, name)
        others = [Nearby(group) for group in groups[1:]]  # a long text has many anchors: look only near each
        for anchor in groups[0]:
            span = _span(anchor, others, combo.window, sentence)
            if span is not None:
                found.append(Hit(key, *span))
    return found


def _span(anchor: Hit, groups: list[Nearby], window: int, sentence: Callable[[int], int]) -> tuple[int, int] | None:
    start, end = anchor.start, anchor.end
    here = sentence(start)
    for group in groups:
        near = [
            h
            for h in group.around(anchor, window)
            if _gap(anchor, h) <= window
            and sentence(h.start) == here
            and not (h.start < anchor.end and anchor.start < h.end)
        ]
        if not near:
            return None
        nearest = min(near, key=lambda h: _gap(anchor, h))
        start, end = min(start, nearest.start), max(end, nearest.end)
    return start, end


def _gap(a: Hit, b: Hit) -> int:
    return max(b.start - a.end, a.start - b.end, 0)
