"""Cross-validated figures of the urgency model (`intake train` prints them): the rules alone, the model alone and
both combined, on every labelled line and per split. The nested table (nested.py) is the honest one; the
out-of-fold table scores the thresholds on the predictions they were settled on, so its `combined` flatters."""

from __future__ import annotations

from typing import Any

from classifiers.evaluate import Scores
from classifiers.learned.example import Example
from classifiers.learned.model import Prediction
from classifiers.learned.nested import Nested
from classifiers.learned.train import outcome

MODES = ("rules alone", "model alone", "combined")


def mode_scores(
    examples: list[Example], predictions: list[Prediction], combined: list[dict[str, Any]]
) -> dict[str, dict[str, Scores]]:
    """{mode: {"all" | split name: Scores}}: the rules, the model's `predictions` and the `combined` outcomes."""
    out: dict[str, dict[str, Scores]] = {mode: {} for mode in MODES}
    for example, prediction, both in zip(examples, predictions, combined):
        expect = {"urgency": example.expect["urgency"], "category": example.expect.get("category")}
        for mode, got in zip(MODES, (outcome(example, None, None), outcome(example, prediction, None), both)):
            for group in ("all", example.split or "-"):
                out[mode].setdefault(group, Scores()).add(example.id, expect, got)
    return out


def summary(scores: Scores) -> str:
    """One line: urgency exact, within one, urgent recall/precision, missed emergencies, false alarms, category."""
    recall, precision = scores.urgent_recall_precision()
    alarms = f" ({len(scores.false_alarms) / scores.calm:.1%})" if scores.calm else ""
    return (
        f"urgency {_fmt(scores.accuracy('urgency'))}, within one {_fmt(scores.accuracy('urgency_within_one'))}, "
        f"urgent recall {_fmt(recall)} precision {_fmt(precision)}, missed {len(scores.missed)}/{scores.emergencies}, "
        f"false alarms {len(scores.false_alarms)}/{scores.calm}{alarms}, category {_fmt(scores.accuracy('category'))}"
    )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def table(title: str, examples: list[Example], predictions: list[Prediction], combined: list[dict[str, Any]]) -> str:
    """The figures of every mode, on all lines and on each split."""
    scores = mode_scores(examples, predictions, combined)
    lines = [title]
    for group in ["all", *sorted(k for k in scores[MODES[0]] if k != "all")]:
        for mode in MODES:
            lines.append(f"  {group:<8} {mode:<12} {summary(scores[mode][group])}")
    return "\n".join(lines)


def cross_validated_report(examples: list[Example], predictions: list[Prediction], thresholds: dict[str, float]) -> str:
    """The out-of-fold table: thresholds scored on the predictions they were settled on (optimistic)."""
    combined = [outcome(e, p, thresholds) for e, p in zip(examples, predictions)]
    return table(
        f"out-of-fold on {len(examples)} labelled lines (the shipped thresholds settled on these same "
        "predictions: `combined` is optimistic):",
        examples,
        predictions,
        combined,
    )


def nested_report(examples: list[Example], nested: Nested) -> str:
    """The nested table (nested.nested_outcomes): each outer fold scored by thresholds settled without it."""
    combined, predictions, outer = nested
    lines = [
        table(
            f"nested cross-validation on {len(examples)} labelled lines (honest: each line scored by a "
            "model and thresholds that never saw it):",
            examples,
            predictions,
            combined,
        )
    ]
    for number, fold in enumerate(outer, 1):
        said = ", ".join(f"{k} {v}" for k, v in fold.thresholds.items())
        lines.append(f"  outer fold {number} ({len(fold.held_out)} lines): {said}")
    return "\n".join(lines)
