"""Cross-validated figures of the urgency model (`intake train` prints them): the rules alone, the model alone and
both combined, on every labelled line and per split, from out-of-fold predictions."""

from __future__ import annotations

from classifiers.evaluate import Scores
from classifiers.learned.train import Example, outcome

MODES = ("rules alone", "model alone", "combined")


def mode_scores(examples: list[Example], predictions: list, thresholds: dict[str, float]) -> dict[str, dict[str, Scores]]:
    """{mode: {"all" | split name: Scores}} over the out-of-fold predictions."""
    out: dict[str, dict[str, Scores]] = {mode: {} for mode in MODES}
    for example, prediction in zip(examples, predictions):
        expect = {"urgency": example.expect["urgency"], "category": example.expect.get("category")}
        for mode, got in zip(MODES, (outcome(example, None, None), outcome(example, prediction, None),
                                     outcome(example, prediction, thresholds))):
            for group in ("all", example.split or "-"):
                out[mode].setdefault(group, Scores()).add(example.id, expect, got)
    return out


def summary(scores: Scores) -> str:
    """One line: urgency exact, within one, urgent recall/precision, missed emergencies, false alarms, category."""
    recall, precision = scores.urgent_recall_precision()
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    return (f"urgency {fmt(scores.accuracy('urgency'))}, within one {fmt(scores.accuracy('urgency_within_one'))}, "
            f"urgent recall {fmt(recall)} precision {fmt(precision)}, missed {len(scores.missed)}/{scores.emergencies}, "
            f"false alarms {len(scores.false_alarms)}/{scores.calm}, category {fmt(scores.accuracy('category'))}")


def cross_validated_report(examples: list[Example], predictions: list, thresholds: dict[str, float]) -> str:
    table = mode_scores(examples, predictions, thresholds)
    lines = [f"cross-validated on {len(examples)} labelled lines (out-of-fold):"]
    for group in ["all", *sorted(k for k in table[MODES[0]] if k != "all")]:
        for mode in MODES:
            lines.append(f"  {group:<8} {mode:<12} {summary(table[mode][group])}")
    return "\n".join(lines)
