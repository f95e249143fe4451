"""How the model and the rules decide urgency together, explainably (issue #16).

- The rules' `urgent` stands: a danger, frame or temperature the rules found is never lowered by the model.
- The model raises a message to `urgent` only when its probability of urgent reaches `raise_at`.
- Where the rules are unsure (their urgency confidence below `decide_below`: a category default, a bare mention),
  the model's level stands in for theirs when its probability reaches `decide_at`.
- A message left below urgent whose probability of urgent reaches `flag_at` is flagged `possible_emergency`.
Every change the model makes is evidence ("model: urgent 0.83 from 'no puedo', 'ascen…'"). The thresholds are
settled by grouped cross-validation on the labelled set (train.py) and shipped in the model file.
"""

from __future__ import annotations

from classifiers.decide import Decision
from classifiers.learned.model import Prediction
from classifiers.models import evidence_item

THRESHOLDS = ("decide_below", "decide_at", "raise_at", "flag_at")


def model_says(prediction: Prediction, level: str) -> str:
    """'urgent 0.83 from 'no puedo', 'ascen…'': the model's view of one level, with its strongest features."""
    said = f"{level} {prediction.probabilities[level]:.2f}"
    return f"{said} from {', '.join(prediction.reasons)}" if prediction.reasons else said


def combine(rules: Decision, prediction: Prediction, thresholds: dict[str, float]) -> tuple[Decision, str | None]:
    """The urgency decision, and the reason to flag a possible emergency (None: no flag from the model)."""
    urgent = prediction.probabilities["urgent"]
    if rules.value == "urgent":
        return rules, None
    decision = rules
    if urgent >= thresholds["raise_at"]:
        decision = _by_model(rules, prediction, "urgent")
    elif rules.confidence < thresholds["decide_below"]:
        level = prediction.level
        if level != rules.value and level != "urgent" and prediction.probabilities[level] >= thresholds["decide_at"]:
            decision = _by_model(rules, prediction, level)
    if decision.value != "urgent" and urgent >= thresholds["flag_at"]:
        return decision, f"model: {model_says(prediction, 'urgent')}"
    return decision, None


def _by_model(rules: Decision, prediction: Prediction, level: str) -> Decision:
    evidence = [evidence_item("urgency", "model", model_says(prediction, level))] + rules.evidence
    return Decision(level, round(prediction.probabilities[level], 3), evidence, list(rules.reasons))
