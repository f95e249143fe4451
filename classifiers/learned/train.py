"""`intake train`: fit the urgency model on the labelled set and settle the policy's thresholds by grouped
cross-validation, reproducibly (a fixed seed; the same file gives the same bytes).

Stages: `read_examples` runs the rules over every labelled line once (features, the rules' own urgency),
`cross_validate` fits one model per fold (folds grouped by `group_of`, so a writer's run of near-copies never
sits on both sides), `settle_thresholds` picks the policy thresholds on the out-of-fold probabilities, and
`fit_model` fits the shipped weights on every line. scikit-learn does the fitting (multinomial logistic
regression, L-BFGS, deterministic); classifying needs only numpy and the arrays it writes.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifiers.decide import Decision
from classifiers.learned.model import Prediction, UrgencyModel, predict_rows
from classifiers.learned.policy import combine
from classifiers.models import URGENCY_LEVELS

MIN_LINES = 2  # a feature must occur in this many training messages
C = 4.0  # inverse regularisation strength (chosen by the same cross-validation, see README)
FOLDS = 5
_RANK = {level: i for i, level in enumerate(URGENCY_LEVELS)}
GRID = {"decide_below": (0.6, 0.7, 0.8), "decide_at": (0.5, 0.6, 0.7, 0.8),
        "raise_at": (0.4, 0.5, 0.6, 0.7, 0.8), "flag_at": (0.15, 0.2, 0.25, 0.3, 0.4)}


@dataclass
class Example:
    id: str
    split: str
    expect: dict
    features: list[str]
    rules: Decision  # the rules' urgency
    flagged: bool  # the rules' possible_emergency
    category: str | None


def group_of(item_id: str) -> str:
    """Fold group of a labelled line: its id prefix and its number in runs of 25 (a writer's near-copies)."""
    match = re.match(r"^(.*?)(\d+)$", item_id)
    return f"{match.group(1)}{int(match.group(2)) // 25}" if match else item_id


def read_examples(classifier, labeled: Path) -> list[Example]:
    """Every labelled line through the rules alone (`classifier` has no model): features and the rules' view."""
    from intake.cli.classify import _to_input

    examples = []
    for line in labeled.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        reading = classifier.read(_to_input(record))
        examples.append(Example(str(record["id"]), record.get("split", ""), record["expect"],
                                classifier.urgency_features(reading), reading.urgency, bool(reading.emergency),
                                reading.category.value))
    return examples


def fit_model(examples: list[Example], seed: int, thresholds: dict[str, float], meta: dict) -> UrgencyModel:
    """Multinomial logistic regression over the examples' features (binary, scaled to unit length)."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    counts: dict[str, int] = {}
    for example in examples:
        for name in set(example.features):
            counts[name] = counts.get(name, 0) + 1
    features = tuple(sorted(name for name, n in counts.items() if n >= MIN_LINES))
    index = {name: row for row, name in enumerate(features)}
    data, cols, starts = [], [], [0]
    for example in examples:
        rows = sorted({index[f] for f in example.features if f in index})
        cols += rows
        data += [1.0 / math.sqrt(len(rows))] * len(rows) if rows else []
        starts.append(len(cols))
    matrix = csr_matrix((data, cols, starts), shape=(len(examples), len(features)))
    labels = [URGENCY_LEVELS.index(e.expect["urgency"]) for e in examples]
    fitted = LogisticRegression(C=C, class_weight="balanced", max_iter=1000, tol=1e-4,
                                random_state=seed).fit(matrix, labels)
    order = [list(fitted.classes_).index(i) for i in range(len(URGENCY_LEVELS))]
    weights = np.round(fitted.coef_[order].T, 5).astype(np.float32)
    bias = np.round(fitted.intercept_[order], 5).astype(np.float32)
    return UrgencyModel(features, weights.astype(np.float64), bias.astype(np.float64), URGENCY_LEVELS,
                        dict(thresholds), meta)


def predict(model: UrgencyModel, example: Example) -> Prediction:
    index = model.index
    return predict_rows(model, [index[f] for f in example.features if f in index])


def cross_validate(examples: list[Example], seed: int) -> list[Prediction]:
    """Out-of-fold predictions for every example, folds grouped by `group_of`, shuffled with `seed`."""
    from sklearn.model_selection import GroupKFold

    folds = GroupKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    out: list[Prediction | None] = [None] * len(examples)
    groups = [group_of(e.id) for e in examples]
    for train, test in folds.split(examples, groups=groups):
        model = fit_model([examples[i] for i in train], seed, {}, {})
        for i in test:
            out[i] = predict(model, examples[i])
    return out


def outcome(example: Example, prediction: Prediction | None, thresholds: dict[str, float] | None) -> dict:
    """What the classifier says of one example: the rules alone (no prediction), the model alone (no thresholds)
    or combined; as the dict `evaluate.Scores` reads."""
    if prediction is None:
        return {"urgency": example.rules.value, "possible_emergency": example.flagged, "category": example.category}
    if thresholds is None:
        return {"urgency": prediction.level, "possible_emergency": False, "category": example.category}
    decision, flag = combine(example.rules, prediction, thresholds)
    flagged = decision.value != "urgent" and (flag is not None or example.flagged)
    return {"urgency": decision.value, "possible_emergency": flagged, "category": example.category}


def objective(examples: list[Example], outcomes: list[dict]) -> float:
    """What the thresholds are chosen for (the issue's targets): exact + within one + urgent recall - 4 x the share
    of emergencies missed; -inf when false alarms pass 15 % or urgent precision falls under 0.85."""
    exact = within = hits = said_urgent = emergencies = missed = calm = alarms = 0
    for example, got in zip(examples, outcomes):
        want, have = _RANK[example.expect["urgency"]], _RANK[got["urgency"]]
        exact += want == have
        within += abs(want - have) <= 1
        said_urgent += have == 0
        raised = have == 0 or got["possible_emergency"]
        if want == 0:
            emergencies += 1
            hits += have == 0
            missed += not raised
        else:
            calm += 1
            alarms += raised
    if alarms > 0.15 * calm or hits < 0.85 * said_urgent:
        return -math.inf
    total = len(examples)
    return exact / total + within / total + hits / max(emergencies, 1) - 4 * missed / max(emergencies, 1)


def settle_thresholds(examples: list[Example], predictions: list[Prediction]) -> dict[str, float]:
    """The grid point with the best `objective` on the out-of-fold predictions (first in grid order on a tie)."""
    best, chosen = -math.inf, None
    for values in itertools.product(*GRID.values()):
        thresholds = dict(zip(GRID, values))
        if thresholds["flag_at"] > thresholds["raise_at"]:
            continue
        score = objective(examples, [outcome(e, p, thresholds) for e, p in zip(examples, predictions)])
        if score > best:
            best, chosen = score, thresholds
    if chosen is None:  # nothing meets the false-alarm ceiling: the model only raises when very sure
        chosen = {"decide_below": 0.0, "decide_at": 1.0, "raise_at": 0.95, "flag_at": 0.95}
    return chosen


def train(classifier, labeled: Path, seed: int) -> tuple[UrgencyModel, list[Example], list[Prediction]]:
    """The shipped model: thresholds from cross-validation, weights fitted on every labelled line."""
    examples = read_examples(classifier, labeled)
    predictions = cross_validate(examples, seed)
    thresholds = settle_thresholds(examples, predictions)
    meta = {"seed": seed, "lines": len(examples), "folds": FOLDS, "C": C, "min_lines": MIN_LINES,
            "labeled_sha256": hashlib.sha256(labeled.read_bytes()).hexdigest()}
    return fit_model(examples, seed, thresholds, meta), examples, predictions
