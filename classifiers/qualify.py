"""The passes that qualify a message's issues: negated, harmless, resolved, minor, asked about, over and paid for.

Each pass reads the qualifying cues and scopes of the message (context.py) and sets one flag of the issues it
applies to; they run in the order of `signals.ISSUE_PASSES`, after the state words are attached (states.py), and
`mark_active` comes last. A pass returns at once when the message has none of its cue words.
"""

from __future__ import annotations

from classifiers.context import Context
from classifiers.issues import Issue
from classifiers.spans import Nearby, gap, is_question, overlaps

# Resolution and "small" words qualify a thing at most this many tokens away; past-tense words the next token.
_NEXT_TO = 3
_PAST_GAP = 1


def mark_negated(issues: list[Issue], context: Context) -> None:
    """A thing with a level of its own, right after a negation word in its clause: "no water leak"."""
    negations = context.cues.negations
    if not negations:
        return
    cues, clause, window = Nearby(negations), context.scopes.clause, context.urgency.negation_window
    for issue in issues:
        if issue.state is not None or not issue.level:  # a state word says itself how the thing is
            continue
        hit = issue.hit
        start, here = hit.start, clause(hit.start)
        issue.negated = any(
            0 <= start - cue.end < window and clause(cue.start) == here and not overlaps(cue, hit)
            for cue in cues.around(hit, window)
        )


def mark_benign(issues: list[Issue], context: Context) -> None:
    """A danger in a sentence with a harmless-making word is none: "cigarette smoke", "needs a new battery"."""
    benign = context.cues.benign
    if not benign:
        return
    sentence = context.scopes.sentence
    sentences = {sentence(cue.start) for cue in benign}
    for issue in issues:
        if issue.source == "hazard" and not issue.negated:
            issue.negated = sentence(issue.hit.start) in sentences


def mark_resolved(issues: list[Issue], context: Context) -> None:
    """A thing in a span with a resolution word and no "again"/"still" is resolved ("fixed now, but the tap still
    drips": only the first); `fixed` when the word is right next to it ("the door closes properly now"). In the
    subject, a thing is resolved when the message as a whole says so."""
    cues = context.cues
    if not cues.resolutions:
        return
    span = context.scopes.span
    resolved = {span(cue.start) for cue in cues.resolutions}
    recurring = {span(cue.start) for cue in cues.recurrences}
    words = Nearby(cues.resolutions)
    for issue in issues:
        hit = issue.hit
        here = span(hit.start)
        if here in resolved:
            issue.resolved = here not in recurring
            issue.fixed = issue.resolved and any(gap(cue, hit) <= _NEXT_TO for cue in words.around(hit, _NEXT_TO))
        elif issue.in_subject:
            issue.resolved = context.signals.resolved_message


def mark_minor(issues: list[Issue], context: Context) -> None:
    """A thing with a "small" word right next to it in its clause: "a small leak", "slightly loose"."""
    minors = context.cues.minors
    if not minors:
        return
    cues, clause = Nearby(minors), context.scopes.clause
    for issue in issues:
        hit = issue.hit
        here = clause(hit.start)
        issue.minor = any(gap(cue, hit) <= _NEXT_TO and clause(cue.start) == here for cue in cues.around(hit, _NEXT_TO))


def mark_asked(issues: list[Issue], context: Context) -> None:
    """A concept that gains from being asked about, in a request or question sentence that is not an aside:
    "could you send me the receipts?" (and not "also, can I ask about parking?")."""
    asking = [issue for issue in issues if issue.concept.asked]
    if not asking:
        return
    cues, scopes, doc = context.cues, context.scopes, context.signals.doc
    sentence = scopes.sentence
    asides = {sentence(cue.start) for cue in cues.asides}
    requests = {sentence(cue.start) for cue in cues.requests}
    for issue in asking:
        here = sentence(issue.hit.start)
        issue.asked = here not in asides and (here in requests or is_question(doc, scopes.sentence_ends, here))


def mark_settled(issues: list[Issue], context: Context) -> None:
    """A danger told in the past, in a message about paying for it, is over: "water was backing up … I paid the
    plumber's invoice". A frame is told in the past when any of its words is ("the drain … water was backing up")."""
    pasts = context.cues.pasts
    if not pasts:
        return
    cues, clause, frames = Nearby(pasts), context.scopes.clause, context.signals.frames
    for issue in issues:
        if not issue.level or issue.resolved:
            continue
        hit = issue.hit
        words = frames.get((hit.start, hit.end, issue.name)) if frames else None
        starts = [w.start for _, w in words] if words else [hit.start]
        issue.resolved = issue.settled = any(
            0 <= at - cue.end <= _PAST_GAP and clause(cue.start) == clause(at)
            for at in starts
            for cue in cues.around(hit, _PAST_GAP)
        )


def mark_active(issues: list[Issue], context: Context) -> None:
    """An issue neither negated nor resolved is active: what every decision counts."""
    for issue in issues:
        issue.active = not issue.negated and not issue.resolved
