"""Feature names of one message for the urgency model: its words and the lexicon's signals.

Words come from the classifier's own tokens of the normalised text (lower case, accents folded), so training
and classification see the same words: each word (`w:`), its first five letters (`p:`, a cheap stem that reads
"ascensore", "ascensor" and "ascenseur", or "bloccato"/"bloccata", alike in six languages) and each pair of
neighbouring words (`b:`, "no puedo", "cant get"). Signals are what the rules read: hazards and frames with
their state (`i:`), the lists that fired (`s:`), and the rules' own urgency, its source and the category (`r:`).
"""

from __future__ import annotations

from enum import StrEnum

from classifiers.cues import CueKind, kind_of
from classifiers.decide import Decision
from classifiers.issues import Signals

PREFIX = 5  # letters of the stem feature; shorter words are their own stem


class FeatureKind(StrEnum):
    """What a feature name stands for (its first letter; the names are the shipped model's, kept as they are)."""

    WORD = "w"
    STEM = "p"
    PAIR = "b"
    RULES = "r"  # what the rules decided: urgency, category, the urgency's source, flagged
    SIGNAL = "s"  # a cue list that matched, by its key ("s:s:failure", "s:k:gas-smell:0")
    ISSUE = "i"  # an issue with its state ("i:gas-smell:negated")


def feature(kind: FeatureKind, name: str) -> str:
    """The feature name of `name` as a `kind`."""
    return f"{kind.value}:{name}"


def kind_of_feature(name: str) -> FeatureKind:
    """The kind of a feature name."""
    return _FEATURE_KINDS[name[0]]


_FEATURE_KINDS = {kind.value: kind for kind in FeatureKind}
# The cues that are features: state words, frame slots, combination groups, alert words, beyond-home words.
_FEATURE_CUES = frozenset((CueKind.STATE, CueKind.SLOT, CueKind.GROUP, CueKind.ALERT, CueKind.BEYOND))


def token_features(word: str) -> tuple[str, ...]:
    """The features of one token's text: none for punctuation, numbers and spaces."""
    if not word.isalpha():
        return ()
    if len(word) > PREFIX:
        return (feature(FeatureKind.WORD, word), feature(FeatureKind.STEM, word[:PREFIX]))
    return (feature(FeatureKind.WORD, word),)


def is_word(word: str) -> bool:
    """Whether a token takes part in word pairs (a punctuation mark or number breaks a pair)."""
    return word.isalpha()


def bigram(first: str, second: str) -> str:
    """The feature of two neighbouring words."""
    return feature(FeatureKind.PAIR, f"{first} {second}")


def text_features(words: list[str]) -> list[str]:
    """Word, stem and word-pair features of the token texts, in order (repeats kept: the model dedupes)."""
    out: list[str] = []
    previous = None
    for word in words:
        if not is_word(word):
            previous = None
            continue
        out += token_features(word)
        if previous is not None:
            out.append(bigram(previous, word))
        previous = word
    return out


def signal_features(signals: Signals, urgency: Decision, category: str | None, flagged: bool) -> list[str]:
    """What the rules saw and decided, as feature names (a few a message)."""
    rules = FeatureKind.RULES
    out = [feature(rules, f"urgency:{urgency.value}"), feature(rules, f"category:{category}")]
    if urgency.evidence:
        out.append(feature(rules, f"source:{urgency.evidence[0]['source'].partition(':')[0]}"))
    if flagged:
        out.append(feature(rules, "flagged"))
    for key in signals.cues:
        if kind_of(key) in _FEATURE_CUES:
            out.append(feature(FeatureKind.SIGNAL, key))
    for issue in signals.issues:
        state = (
            "negated"
            if issue.negated
            else "resolved"
            if issue.resolved
            else "contained"
            if issue.contained
            else issue.level or "mention"
        )
        out.append(feature(FeatureKind.ISSUE, f"{issue.name}:{state}"))
        if issue.source == "hazard" and issue.active:
            out.append(feature(FeatureKind.ISSUE, "hazard-active"))
    return out
