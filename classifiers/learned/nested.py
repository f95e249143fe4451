"""Nested cross-validation of the whole training procedure (`intake train` prints it): honest combined figures.

The thresholds of the shipped model are settled on the same out-of-fold predictions that would then score them,
which flatters them. Here every outer fold is held out from everything: on the other lines `train` runs as it
does for the shipped model (`train.fit`: vocabulary, fold models, thresholds settled on their out-of-fold
predictions, the fold models' average), and only then is the outer fold classified by that average and those thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from classifiers.learned.example import Example
from classifiers.learned.model import Prediction
from classifiers.learned.train import FOLDS, fit, group_of, outcome, predict


@dataclass
class OuterFold:
    held_out: list[int]  # indices of the examples scored
    thresholds: dict[str, float]  # settled without them


# Every example's combined outcome and the model's prediction of it, and the outer folds (nested_outcomes).
Nested = tuple[list[dict[str, Any]], list[Prediction], list[OuterFold]]


def nested_outcomes(examples: list[Example], seed: int) -> Nested:
    """(combined outcome of every example, the model's prediction of it, the outer folds), each example scored
    by a model and thresholds that never saw it."""
    from sklearn.model_selection import GroupKFold  # scikit-learn is the `train` extra: only training needs it

    folds = GroupKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    outcomes: dict[int, dict[str, Any]] = {}  # by example: every example is in one outer fold
    predictions: dict[int, Prediction] = {}
    outer: list[OuterFold] = []
    for train, test in folds.split(examples, groups=[group_of(e.id) for e in examples]):
        model, _ = fit([examples[i] for i in train], seed)
        for i in test:
            predictions[i] = predict(model, examples[i])
            outcomes[i] = outcome(examples[i], predictions[i], model.thresholds)
        outer.append(OuterFold(sorted(int(i) for i in test), model.thresholds))
    order = range(len(examples))
    return [outcomes[i] for i in order], [predictions[i] for i in order], outer
