"""The names of the lexicon's term lists: every phrase hit is a cue of one kind (a concept, a state word, …).

A list is keyed `<kind>:<name>` ("c:heating", "s:failure", "k:gas-smell:0"), its kind one letter of `CueKind`.
The strings are part of the shipped urgency model (its signal features are `s:` + the key, e.g. "s:s:failure"),
so they stay exactly as they are; code names them through `CueKind`, `Cue` and `cue_key`, never as literals.
"""

from __future__ import annotations

from enum import StrEnum


class CueKind(StrEnum):
    """What kind of words a term list holds (the first letter of its key)."""

    CONCEPT = "c"  # a topic concept of taxonomy.yaml: a thing that can be wrong ("heating", "dishwasher")
    HAZARD = "h"  # a danger of urgency.yaml, or one raised by a combination or a frame
    STATE = "s"  # words that qualify a thing: failure, negation, resolution, "it can wait", …
    UNIT = "u"  # words around a unit id (units.yaml): "apt", "I live in", "my neighbour in"
    PROPERTY = "p"  # a property's name, aliases and street (the registry)
    BEYOND = "b"  # an outage beyond the home ("the whole street"), and the words that keep it in the home
    ALERT = "r"  # danger words that alone prove nothing (urgency.yaml `review.alert`)
    GROUP = "k"  # one word group of a combination
    SLOT = "f"  # one slot of a frame, or the words that cancel it (`unless`)


class Cue(StrEnum):
    """The fixed term lists: one each, from the rules files."""

    FAILURE = "s:failure"
    IMPAIRED = "s:impaired"
    NEGATION = "s:negation"
    RESOLUTION = "s:resolution"
    RECURRENCE = "s:recurrence"
    DEESCALATION = "s:deescalation"
    MINOR = "s:minor"
    VULNERABLE = "s:vulnerable"
    BENIGN = "s:benign"
    PAST = "s:past"
    SETTLED = "s:settled"
    REQUEST = "s:request"
    ASIDE = "s:aside"
    CONTAINMENT = "s:containment"
    UNIT = "u:unit"
    OWN_UNIT = "u:own"
    NEIGHBOUR = "u:neighbour"
    NOT_UNIT_BEFORE = "u:not_before"
    NOT_UNIT_AFTER = "u:not_after"
    BEYOND_HOME = "b:beyond"
    IN_HOME = "b:in_home"
    ALERT = "r:alert"


# Urgency-file lists that are state cues under their own name (`failure:` in urgency.yaml is "s:failure").
URGENCY_STATES: tuple[Cue, ...] = (
    Cue.FAILURE,
    Cue.IMPAIRED,
    Cue.NEGATION,
    Cue.RESOLUTION,
    Cue.RECURRENCE,
    Cue.DEESCALATION,
    Cue.MINOR,
    Cue.VULNERABLE,
    Cue.BENIGN,
    Cue.PAST,
    Cue.SETTLED,
)
_KINDS = {kind.value: kind for kind in CueKind}
_TERMS = frozenset((CueKind.CONCEPT.value, CueKind.HAZARD.value))
_HAZARD = CueKind.HAZARD.value


def cue_key(kind: CueKind, name: str) -> str:
    """The key of a named list of `kind` ("c:heating"), a plain string."""
    return f"{kind.value}:{name}"


def kind_of(key: str) -> CueKind:
    """The kind of a list key."""
    return _KINDS[key[0]]


def name_of(key: str) -> str:
    """The name part of a list key ("c:heating" -> "heating")."""
    return key[2:]


def is_term(key: str) -> bool:
    """Whether a list names a thing an issue is about (a concept or a hazard) rather than a cue about it."""
    return key[0] in _TERMS


def is_hazard(key: str) -> bool:
    """Whether a list key is a hazard's ("h:gas-smell")."""
    return key[0] == _HAZARD


def state_name(cue: Cue) -> str:
    """The rules' name of a state list ("s:failure" -> "failure"): its field in urgency.yaml, its `@list` in
    a frame slot."""
    return name_of(cue.value)
