"""What the issue passes (states.py, qualify.py) read: the cue words in force, and the scopes they count in.

Cue words cancel one another before any issue is looked at: a resolution word that overlaps a failure is
none ("stopped working again"), a word inside a calming phrase says nothing of its own ("no longer leaking",
"not urgent" holds no negation), and a recurrence inside a resolution is none. Scopes are sentences
(. ! ? ; new line), contrast spans (also "but") and clauses (also commas), numbered by token position.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable
from dataclasses import dataclass

from classifiers.cues import Cue
from classifiers.issues import Issue, Signals
from classifiers.ruleset import Urgency
from classifiers.spans import Hit, Nearby, inside, overlaps_any

# Token indexes where sentences, contrast spans and clauses end (spans.segments).
Ends = tuple[list[int], list[int], list[int]]


@dataclass(slots=True)
class Qualifiers:
    """The cue words that can qualify an issue, each list in text order, after they cancelled one another."""

    failures: list[Hit]
    impaired: list[Hit]
    negations: list[Hit]
    resolutions: list[Hit]
    recurrences: list[Hit]
    minors: list[Hit]
    benign: list[Hit]
    pasts: list[Hit]  # past-tense words, only in a message about paying for a danger (`settled:`)
    requests: list[Hit]
    asides: list[Hit]

    def can_qualify(self) -> bool:
        """Whether any word here can change an issue (requests and asides only qualify asked-about concepts)."""
        return bool(
            self.failures
            or self.impaired
            or self.negations
            or self.resolutions
            or self.minors
            or self.benign
            or self.pasts
        )


def _outside(hits: list[Hit], spans: Nearby) -> list[Hit]:
    return [h for h in hits if not inside(h, spans.around(h))]


def read_qualifiers(cues: dict[str, list[Hit]], failures: list[Hit], impaired: list[Hit]) -> Qualifiers:
    """The qualifying cues of a message, given its state words (`failures`, `impaired`: not inside a term)."""
    get = cues.get
    resolutions = get(Cue.RESOLUTION, [])
    if resolutions and failures:  # "stopped working again" is no resolution
        failing = Nearby(failures)
        resolutions = [h for h in resolutions if not overlaps_any(h, failing.around(h))]
    quiet = get(Cue.DEESCALATION, []) + resolutions
    negations = get(Cue.NEGATION, [])
    if quiet:  # "no longer leaking", "not urgent": the words inside belong to the calming phrase
        calm = Nearby(quiet)
        failures, impaired, negations = _outside(failures, calm), _outside(impaired, calm), _outside(negations, calm)
    recurrences = get(Cue.RECURRENCE, [])
    if recurrences and resolutions:
        recurrences = _outside(recurrences, Nearby(resolutions))
    return Qualifiers(
        failures=failures,
        impaired=impaired,
        negations=negations,
        resolutions=resolutions,
        recurrences=recurrences,
        minors=get(Cue.MINOR, []),
        benign=get(Cue.BENIGN, []),
        pasts=get(Cue.PAST, []) if Cue.SETTLED in cues and not recurrences else [],
        requests=get(Cue.REQUEST, []),
        asides=get(Cue.ASIDE, []),  # "also, can you tell me…" is a side question
    )


@dataclass(slots=True)
class Scopes:
    """The number of the sentence, contrast span and clause a token position is in."""

    sentence_ends: list[int]
    sentence: Callable[[int], int]
    span: Callable[[int], int]  # resolution scope: "fixed now, but still…"
    clause: Callable[[int], int]

    @classmethod
    def of(cls, ends: Ends) -> Scopes:
        """Scopes from the ends `spans.segments` finds."""
        sentence_ends, contrast_ends, clause_ends = ends
        return cls(
            sentence_ends,
            functools.partial(bisect.bisect_right, sentence_ends),
            functools.partial(bisect.bisect_right, contrast_ends),
            functools.partial(bisect.bisect_right, clause_ends),
        )


@dataclass(slots=True)
class Context:
    """Everything an issue pass reads besides the issues: the message, its qualifying cues, scopes and rules."""

    signals: Signals
    cues: Qualifiers
    scopes: Scopes
    urgency: Urgency  # the windows: `state_window`, `negation_window`


# A pass over a message's issues: sets some of their flags from the context, in place.
IssuePass = Callable[[list[Issue], Context], None]
