"""When a classification goes to the triage queue although every confidence clears the threshold.

Conflicting or weak urgency signals: an urgent ticket whose category is unsure, a danger whose own topic
disagrees with the category chosen, or a danger word ("gas", "smoke") that no hazard explained in a message
whose category is unsure. Thresholds and the alert words live in rules/urgency.yaml (`review:`).
"""

from __future__ import annotations

from classifiers.cues import Cue
from classifiers.decide import Decision, span_text
from classifiers.issues import Signals
from classifiers.ruleset import RuleSet
from classifiers.spans import Hit


def review_reasons(rules: RuleSet, signals: Signals, category: Decision, urgency: Decision, text: str) -> list[str]:
    """Reasons a human should look at this urgency decision (empty when none)."""
    review = rules.urgency.review
    reasons: list[str] = []
    if urgency.value == "urgent" and category.confidence < review.urgent_below:
        reasons.append(f"urgent, but unsure of the category {category.value!r} ({category.confidence:.2f})")
    for issue in signals.issues:
        if issue.source != "hazard" or not issue.active or issue.level != "urgent":  # most issues: checked first
            continue
        topic = (issue.concept.topic or "").partition("/")[0]
        outage = issue.concept.utility and category.value == "utilities"  # a supply cut beyond the home: expected
        if topic and not outage and topic != category.value:
            reasons.append(f"danger {issue.name!r} points to {topic!r} but the category is {category.value!r}")
            break
    if urgency.value != "urgent" and category.confidence < review.alert_below:
        word = unexplained_alert(signals, rules.urgency.negation_window)
        if word is not None:
            reasons.append(f"danger word {span_text(signals, word.start, word.end, text)!r} but no danger recognised")
    return reasons


def unexplained_alert(signals: Signals, window: int) -> Hit | None:
    """The first alert word not negated and not part of a longer known phrase ("gas bill", "smoke alarm")."""
    negations = signals.cues.get(Cue.NEGATION, [])
    for cue in signals.cues.get(Cue.ALERT, []):
        if any(
            i.hit.start <= cue.start and cue.end <= i.hit.end and (i.hit.end - i.hit.start) > (cue.end - cue.start)
            for i in signals.issues
        ):
            continue
        if any(0 <= cue.start - n.end < window for n in negations):
            continue
        return cue
    return None
