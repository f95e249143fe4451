"""What reading a message yields (signals.py): the issues it reports and every other phrase hit, as cues.

An *issue* is a concept or hazard hit that says something is wrong; its level comes from the concept (`level`),
or from a failure / impairment word near it (`failure`, `impaired`). The passes of qualify.py and states.py
set its flags; the decisions (decide.py, votes.py, safety.py, review.py) read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc

from classifiers.ruleset import Concept
from classifiers.spans import Hit

# A frame hit's words, slot by slot: (slot name, the word's hit).
FrameWords = list[tuple[str, Hit]]


@dataclass(slots=True)
class Issue:
    """One thing the message is about, with what the passes found said of it."""

    name: str
    concept: Concept
    hit: Hit
    level: str | None  # None: a mention without urgency of its own
    source: str  # "concept", "hazard", "state:failure", "state:impaired" (and "temperature": decide.py)
    negated: bool = False
    resolved: bool = False
    minor: bool = False
    in_subject: bool = False
    state: Hit | None = None
    active: bool = True  # neither negated nor resolved: set once by the last pass, read by every decision
    fixed: bool = False  # resolved by a word right next to it ("the door closes properly now")
    asked: bool = False  # in a request or question sentence ("could you send me the receipts?")
    settled: bool = False  # a past danger in a message about paying for it: over, and only context
    contained: bool = False  # an urgent danger held in check ("a bucket catches it"): lowered (frames.py)


@dataclass(slots=True)
class Signals:
    """A read message: its doc, issues, cues by list key, and what the decisions remember about it."""

    doc: Doc
    subject_end: int  # tokens before this index are the subject line
    issues: list[Issue] = field(default_factory=list)
    cues: dict[str, list[Hit]] = field(default_factory=dict)  # every hit but concepts and hazards, by list key
    reply: bool = False  # the subject had a reply/forward prefix
    resolved_message: bool = False  # a resolution word with no "still"/"again" anywhere
    texts: dict[tuple[int, int], str] = field(default_factory=dict)  # evidence text of token spans (cache)
    frames: dict[tuple[int, int, str], FrameWords] = field(default_factory=dict)  # frame hit -> its words

    def has(self, key: str) -> bool:
        """Whether the list `key` (a `Cue`, a cue key) matched anywhere in the message."""
        return bool(self.cues.get(key))
