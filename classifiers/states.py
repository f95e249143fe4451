"""State words: a failure or impairment word ("broken", "doesn't respond", "weak") gives a thing its level.

Two steps of reading a message (signals.py): before the issues exist, a term inside a state phrase is the state
and not the thing ("dont heat" is not the heating), and a state word inside a longer term is the term's (the
"out" of "moved out"); then the first pass over the issues gives each state word to the nearest thing of its
sentence that it can describe.
"""

from __future__ import annotations

from classifiers.context import Context
from classifiers.cues import Cue, is_hazard
from classifiers.issues import Issue
from classifiers.spans import Hit, Nearby, gap, inside, inside_longer

# The state kinds, in the order they claim a thing (an impairment word before a failure word).
_KINDS = ("impaired", "failure")


def drop_state_terms(terms: list[Hit], cues: dict[str, list[Hit]]) -> tuple[list[Hit], list[Hit], list[Hit]]:
    """The terms not inside a state phrase, and the failure and impaired words not inside a longer term."""
    failures, impaired = cues.get(Cue.FAILURE, []), cues.get(Cue.IMPAIRED, [])
    if failures or impaired:
        states = Nearby(failures + impaired)
        terms = [h for h in terms if not inside(h, states.around(h))]
        longer = Nearby(terms)
        failures = [h for h in failures if not inside_longer(h, longer.around(h))]
        impaired = [h for h in impaired if not inside_longer(h, longer.around(h))]
    return terms, failures, impaired


def mark_states(issues: list[Issue], context: Context) -> None:
    """A state word belongs to the nearest thing it can describe ("the thermostat doesn't respond"), which takes
    the level the concept gives that state; not when it negates the danger right after it ("no gas smell, just
    checking the boiler" is not "no boiler")."""
    cues = context.cues
    if not cues.failures and not cues.impaired:
        return
    sentence, window = context.scopes.sentence, context.urgency.state_window
    hazard_starts = {i.hit.start for i in issues if is_hazard(i.hit.key)}
    claimed: dict[int, tuple[str, Hit]] = {}  # id(issue) -> (state kind, state word): the first word wins
    for kind, words in zip(_KINDS, (cues.impaired, cues.failures)):
        if not words:
            continue
        targets: dict[int, list[Issue]] = {}  # by sentence, in text order: once per kind
        for issue in issues:
            if getattr(issue.concept, kind):
                targets.setdefault(sentence(issue.hit.start), []).append(issue)
        if not targets:
            continue
        for cue in words:
            start, end = cue.start, cue.end
            if end in hazard_starts:
                continue
            # In the same sentence, not overlapping the cue, and at most `window` tokens before or after it.
            near = [
                i
                for i in targets.get(sentence(start), ())
                if 0 <= i.hit.start - end <= window or 0 <= start - i.hit.end <= window
            ]
            if near:
                target = near[0] if len(near) == 1 else min(near, key=lambda i: (gap(cue, i.hit), i.hit.start > start))
                claimed.setdefault(id(target), (kind, cue))
    for issue in issues:
        state = claimed.get(id(issue))
        if state is not None:
            kind, issue.state = state
            issue.level, issue.source = getattr(issue.concept, kind), f"state:{kind}"
