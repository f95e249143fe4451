"""The safety net: a message that did not come out `urgent` but is not confidently non-urgent is flagged
`possible_emergency`, with the reasons, so a person looks at it at once (issue #16).

Reasons: a danger frame present (a person at risk, water near electrics, …: not negated, not resolved), a
danger the message itself held back (an urgent danger lowered by containment, "small" or "it can wait"),
or an unsure urgency with a danger word no rule explained ("it smells odd, like gas?"). Thresholds live in
rules/urgency.yaml (`safety_net:`). An urgent message is not flagged: it is raised already.
"""

from __future__ import annotations

from classifiers.cues import Cue
from classifiers.decide import Decision, span_text
from classifiers.issues import Signals
from classifiers.review import unexplained_alert
from classifiers.ruleset import RuleSet


def emergency_reasons(rules: RuleSet, signals: Signals, urgency: Decision, text: str) -> list[str]:
    """Why this message may be an emergency although its urgency is below `urgent` (empty: not flagged)."""
    if urgency.value == "urgent":
        return []
    urgency_rules = rules.urgency
    reasons: list[str] = []
    for issue in signals.issues:
        if not issue.active or issue.source != "hazard":
            continue
        frame = urgency_rules.frames.get(issue.name)
        said = span_text(signals, issue.hit.start, issue.hit.end, text)
        if frame is not None and frame.level == "urgent":  # held back by containment, "it can wait", …
            reasons.append(f"{frame.danger} at risk ({issue.name}): {said!r}")
        elif issue.concept.level == "urgent" and (issue.contained or issue.concept.steady):
            reasons.append(f"danger {issue.name!r} held back to {urgency.value}: {said!r}")
    if urgency.confidence < urgency_rules.safety_net.unsure_below and not signals.has(Cue.DEESCALATION):
        word = unexplained_alert(signals, urgency_rules.negation_window)
        if word is not None:
            reasons.append(f"unsure of the urgency, danger word {span_text(signals, word.start, word.end, text)!r}")
    return list(dict.fromkeys(reasons))
