"""Token spans of phrase hits and the sentence / clause scopes they are read in (used by signals).

Scopes are sentences (. ! ? ; new line) and clauses (also commas and "but"); a span is `[start, end)` in tokens.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import cast

from spacy.tokens import Doc

_SENTENCE_ENDS = {".", "!", "?", ";", "...", "!!", "!!!", "??"}
_CONTRASTS = {"but", "pero", "mas", "aber", "mais", "tho", "though", "however", "except", "ma"}
_CLAUSE_BREAKS = {",", "-", "—", ":"} | _CONTRASTS


@dataclass(slots=True)
class Hit:
    """A phrase hit: the list it matched (a cue key, cues.py) and its token span."""

    key: str  # lexicon list key, e.g. "c:heating", "h:gas-smell", "s:failure"
    start: int
    end: int


def segments(doc: Doc, orths: list[int], bounds: dict[int, int]) -> tuple[list[int], list[int], list[int]]:
    """Token indexes where sentences, contrasts ("but") and clauses end, each list including the coarser ends."""
    # `bounds` remembers each word's kind (0 word, 1 clause break, 2 contrast, 3 sentence end): one lookup per
    # token, then comprehensions over the few break tokens instead of one branching loop over every token.
    found = list(map(bounds.get, orths))
    if None in found:  # a word not classified yet
        for i, kind in enumerate(found):
            if kind is None:
                found[i] = bounds[orths[i]] = _boundary_kind(doc[i].text)
    kinds = cast(list[int], found)  # every token's kind is known now
    clause_ends = [i for i, kind in enumerate(kinds) if kind]
    contrast_ends = [i for i in clause_ends if kinds[i] >= 2]
    sentence_ends = [i for i in contrast_ends if kinds[i] == 3]
    return sentence_ends, contrast_ends, clause_ends


def _boundary_kind(text: str) -> int:
    return 3 if "\n" in text or text in _SENTENCE_ENDS else 2 if text in _CONTRASTS else int(text in _CLAUSE_BREAKS)


class Nearby:
    """Hits indexed by start, to look only at those near a token span: in a long text (a re-classified
    conversation) every cue compared with every hit made classification quadratic in the text's length."""

    __slots__ = ("hits", "_starts", "_longest")

    def __init__(self, hits: list[Hit]) -> None:
        self.hits = hits
        self._starts: list[int] | None = None  # sorted lazily: most texts never ask
        self._longest = 0

    def around(self, hit: Hit, distance: int = 0) -> list[Hit]:
        """A superset of the hits within `distance` tokens of `hit` (gap <= distance), overlapping it included,
        in start order (a list given in start order keeps its order)."""
        return self.hits if len(self.hits) <= 8 else self.near(hit.start, hit.end, distance)

    def near(self, start: int, end: int, distance: int = 0) -> list[Hit]:
        """`around` for the token span `[start, end)`."""
        if len(self.hits) <= 8:  # a short list is cheaper to scan than to search
            return self.hits
        if self._starts is None:  # a stable sort: lists come in start order, so their order is kept
            self.hits = sorted(self.hits, key=lambda h: h.start)
            self._starts = [h.start for h in self.hits]
            self._longest = max(h.end - h.start for h in self.hits)
        low = bisect_left(self._starts, start - distance - self._longest)
        return self.hits[low : bisect_right(self._starts, end + distance)]


def inside(hit: Hit, spans: list[Hit]) -> bool:
    """Within one of `spans` (the same length included), other than itself."""
    start, end = hit.start, hit.end
    for span in spans:  # a plain loop: this runs for every hit of every message
        if span.start <= start and end <= span.end and span is not hit:
            return True
    return False


def inside_longer(cue: Hit, hits: list[Hit]) -> bool:
    """Strictly inside one of `hits` (the cue is a word of a longer term)."""
    start, end = cue.start, cue.end
    for h in hits:  # a plain loop, like `inside`: runs for every state word of every message
        if h.start <= start and end <= h.end and h.end - h.start > end - start:
            return True
    return False


def is_question(doc: Doc, sentence_ends: list[int], sentence: int) -> bool:
    """The sentence numbered `sentence` ends with a question mark."""
    return sentence < len(sentence_ends) and "?" in doc[sentence_ends[sentence]].text


def by_start_longest_first(hit: Hit) -> tuple[int, int]:
    """Sort key: text order, the longest hit first at a start."""
    return hit.start, -hit.end


def drop_shorter(hits: list[Hit]) -> list[Hit]:
    """Hits not strictly inside a longer hit of another list, in one sweep over hits sorted by start."""
    kept, cover = [], None
    for hit in hits:  # sorted by start, longest first
        if (
            cover is not None
            and hit.end <= cover.end
            and cover.key != hit.key
            and (cover.end - cover.start) > (hit.end - hit.start)
        ):
            continue
        kept.append(hit)
        if cover is None or hit.end > cover.end:
            cover = hit
    return kept


def overlaps(a: Hit, b: Hit) -> bool:
    """The two spans share a token."""
    return a.start < b.end and b.start < a.end


def overlaps_any(hit: Hit, others: list[Hit]) -> bool:
    """Partly overlaps one of `others` (neither inside the other): "stopped [working] again"."""
    return any(
        overlaps(hit, o)
        and not (o.start <= hit.start and hit.end <= o.end)
        and not (hit.start <= o.start and o.end <= hit.end)
        for o in others
    )


def gap(a: Hit, b: Hit) -> int:
    """Tokens between the two spans (0 when they touch or overlap)."""
    if a.end <= b.start:
        return b.start - a.end
    if b.end <= a.start:
        return a.start - b.end
    return 0
