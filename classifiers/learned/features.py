"""Feature names of one message for the urgency model: its words and the lexicon's signals.

Words come from the classifier's own tokens of the normalised text (lower case, accents folded), so training
and classification see the same words: each word (`w:`), its first five letters (`p:`, a cheap stem that reads
"ascensore", "ascensor" and "ascenseur", or "bloccato"/"bloccata", alike in six languages) and each pair of
neighbouring words (`b:`, "no puedo", "cant get"). Signals are what the rules read: hazards and frames with
their state (`i:`), the lists that fired (`s:`), and the rules' own urgency, its source and the category (`r:`).
"""

from __future__ import annotations

from classifiers.cues import CueKind, kind_of

PREFIX = 5  # letters of the stem feature; shorter words are their own stem
# The cues that are features: state words, frame slots, combination groups, alert words, beyond-home words.
_FEATURE_CUES = frozenset((CueKind.STATE, CueKind.SLOT, CueKind.GROUP, CueKind.ALERT, CueKind.BEYOND))


def token_features(word: str) -> tuple[str, ...]:
    """The features of one token's text: none for punctuation, numbers and spaces."""
    if not word.isalpha():
        return ()
    if len(word) > PREFIX:
        return (f"w:{word}", f"p:{word[:PREFIX]}")
    return (f"w:{word}",)


def is_word(word: str) -> bool:
    """Whether a token takes part in word pairs (a punctuation mark or number breaks a pair)."""
    return word.isalpha()


def bigram(first: str, second: str) -> str:
    return f"b:{first} {second}"


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


def signal_features(signals, urgency, category: str | None, flagged: bool) -> list[str]:
    """What the rules saw and decided, as feature names (a few a message)."""
    out = [f"r:urgency:{urgency.value}", f"r:category:{category}"]
    if urgency.evidence:
        out.append(f"r:source:{urgency.evidence[0]['source'].partition(':')[0]}")
    if flagged:
        out.append("r:flagged")
    for key in signals.cues:
        if kind_of(key) in _FEATURE_CUES:
            out.append(f"s:{key}")
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
        out.append(f"i:{issue.name}:{state}")
        if issue.source == "hazard" and issue.active:
            out.append("i:hazard-active")
    return out
