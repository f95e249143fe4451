"""`intake train`: fit the urgency model on the labelled set and settle the policy's thresholds by grouped
cross-validation, reproducibly (a fixed seed; the same file gives the same bytes).

Stages: `read_examples` runs the rules over every labelled line once (features, the rules' own urgency),
`vocabulary` names the features, `fit_committee` fits one model per fold (folds grouped by `group_of`, so a
writer's run of near-copies never sits on both sides) and averages them into the shipped weights, and
`settle.settle_thresholds` picks the policy thresholds on the out-of-fold probabilities. `nested.py` scores this
whole procedure honestly. scikit-learn does the fitting (multinomial logistic regression, L-BFGS,
deterministic); classifying needs only numpy and the arrays it writes.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.classifier import Classifier
from classifiers.learned.example import Example
from classifiers.learned.model import Prediction, UrgencyModel, predict_rows
from classifiers.learned.policy import combine
from classifiers.learned.settle import CEILING, CONSTRAINED_SPLITS, settle_thresholds
from classifiers.records import record_input
from intake.core.vocabulary import URGENCY_LEVELS

MIN_LINES = 2  # a feature must occur in this many training messages
C = 4.0  # inverse regularisation strength (chosen by the same cross-validation, see README)
FOLDS = 5


def group_of(item_id: str) -> str:
    """Fold group of a labelled line: its id prefix and its number in runs of 25 (a writer's near-copies)."""
    match = re.match(r"^(.*?)(\d+)$", item_id)
    return f"{match.group(1)}{int(match.group(2)) // 25}" if match else item_id


def read_examples(classifier: Classifier, labeled: Path) -> list[Example]:
    """Every labelled line through the rules alone (`classifier` has no model): features and the rules' view."""
    examples = []
    for line in labeled.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        reading = classifier.read(record_input(record))
        examples.append(
            Example(
                str(record["id"]),
                record.get("split", ""),
                record["expect"],
                classifier.urgency_features(reading),
                reading.urgency,
                bool(reading.emergency),
                reading.category.value,
            )
        )
    return examples


def vocabulary(examples: list[Example]) -> tuple[str, ...]:
    """The model's feature names: those in at least MIN_LINES examples (counts only, no labels), sorted."""
    counts: dict[str, int] = {}
    for example in examples:
        for name in set(example.features):
            counts[name] = counts.get(name, 0) + 1
    return tuple(sorted(name for name, n in counts.items() if n >= MIN_LINES))


def fit_weights(examples: list[Example], features: tuple[str, ...], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression over the examples' features (binary, scaled to unit length):
    (weights (features, levels), bias (levels,))."""
    # scipy and scikit-learn are the `train` extra: only training needs them
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    index = {name: row for row, name in enumerate(features)}
    data, cols, starts = [], [], [0]
    for example in examples:
        rows = sorted({index[f] for f in example.features if f in index})
        cols += rows
        data += [1.0 / math.sqrt(len(rows))] * len(rows) if rows else []
        starts.append(len(cols))
    matrix = csr_matrix((data, cols, starts), shape=(len(examples), len(features)))
    labels = [URGENCY_LEVELS.index(e.expect["urgency"]) for e in examples]
    fitted = LogisticRegression(C=C, class_weight="balanced", max_iter=1000, tol=1e-4, random_state=seed).fit(
        matrix, labels
    )
    order = [list(fitted.classes_).index(i) for i in range(len(URGENCY_LEVELS))]
    return fitted.coef_[order].T, fitted.intercept_[order]


def fit_committee(
    examples: list[Example], features: tuple[str, ...], seed: int
) -> tuple[UrgencyModel, list[Prediction]]:
    """One model per fold (folds grouped by `group_of`, shuffled with `seed`) and every example's out-of-fold
    prediction; the returned model averages the fold models' weights, which is their average score for every
    message (one vocabulary, a linear model). Thresholds settled on the out-of-fold predictions thus ship with
    the very kind of model they were settled for: a model fitted on every line is surer than its folds, and at
    the same threshold flags more calm messages than cross-validation saw."""
    from sklearn.model_selection import GroupKFold  # the `train` extra, as above

    folds = GroupKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    out: dict[int, Prediction] = {}  # by example: every example is in one test fold
    weights, biases = [], []
    for train, test in folds.split(examples, groups=[group_of(e.id) for e in examples]):
        weight, bias = fit_weights([examples[i] for i in train], features, seed)
        weights.append(weight)
        biases.append(bias)
        fold_model = _rounded(features, weight, bias)
        for i in test:
            out[i] = predict(fold_model, examples[i])
    model = _rounded(features, np.mean(weights, axis=0), np.mean(biases, axis=0))
    return model, [out[i] for i in range(len(examples))]


def _rounded(
    features: tuple[str, ...],
    weights: np.ndarray,
    bias: np.ndarray,
    thresholds: dict[str, float] | None = None,
    meta: dict[str, Any] | None = None,
) -> UrgencyModel:
    """The model as the file stores it (float32, rounded: the same fit gives the same bytes)."""
    weights = np.round(weights, 5).astype(np.float32).astype(np.float64)
    bias = np.round(bias, 5).astype(np.float32).astype(np.float64)
    return UrgencyModel(features, weights, bias, URGENCY_LEVELS, dict(thresholds or {}), dict(meta or {}))


def predict(model: UrgencyModel, example: Example) -> Prediction:
    """The model's prediction for one example's features."""
    index = model.index
    return predict_rows(model, [index[f] for f in example.features if f in index])


def outcome(example: Example, prediction: Prediction | None, thresholds: dict[str, float] | None) -> dict[str, Any]:
    """What the classifier says of one example: the rules alone (no prediction), the model alone (no thresholds)
    or combined; as the dict `evaluate.Scores` reads."""
    if prediction is None:
        return {"urgency": example.rules.value, "possible_emergency": example.flagged, "category": example.category}
    if thresholds is None:
        return {"urgency": prediction.level, "possible_emergency": False, "category": example.category}
    decision, flag = combine(example.rules, prediction, thresholds)
    flagged = decision.value != "urgent" and (flag is not None or example.flagged)
    return {"urgency": decision.value, "possible_emergency": flagged, "category": example.category}


def fit(examples: list[Example], seed: int) -> tuple[UrgencyModel, list[Prediction]]:
    """The training procedure on `examples` alone: vocabulary, fold models and their average, and the thresholds
    settled on their out-of-fold predictions (returned with the model)."""
    features = vocabulary(examples)
    model, predictions = fit_committee(examples, features, seed)
    thresholds = settle_thresholds(examples, predictions)
    return _rounded(features, model.weights, model.bias, thresholds), predictions


def train(classifier: Classifier, labeled: Path, seed: int) -> tuple[UrgencyModel, list[Example], list[Prediction]]:
    """The shipped model: `fit` on every labelled line, with how it was trained in its meta."""
    examples = read_examples(classifier, labeled)
    model, predictions = fit(examples, seed)
    meta = {
        "seed": seed,
        "lines": len(examples),
        "folds": FOLDS,
        "C": C,
        "min_lines": MIN_LINES,
        "model": f"average of the {FOLDS} fold models",
        "false_alarm_ceiling": CEILING,
        "constrained_splits": list(CONSTRAINED_SPLITS),
        "labeled_sha256": hashlib.sha256(labeled.read_bytes()).hexdigest(),
    }
    return _rounded(model.features, model.weights, model.bias, model.thresholds, meta), examples, predictions
