"""Settling the combination policy's thresholds (policy.py) on out-of-fold predictions, for `intake train`.

The issue's constraints come first and must hold on the pooled lines AND on every independently written split
(`CONSTRAINED_SPLITS`), not only on average: false alarms at most `CEILING` of the non-urgent lines, with 95 %
confidence (the Wilson upper bound, so a threshold that only just fits this sample is not taken), and urgent
precision at least `PRECISION` (where the rules alone are already below it, no lower than the rules). Among the
thresholds that hold, the fewest missed emergencies win, then urgency exact + within one level, then grid order.

The grid is scored with numpy on arrays (`PolicyTable`), the same decisions `policy.combine` takes one message at a
time (tests/classifiers/test_learned.py checks that they agree on every labelled line).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from classifiers.learned.example import Example
from classifiers.learned.model import Prediction
from classifiers.learned.policy import THRESHOLDS
from intake.core.vocabulary import URGENCY_LEVELS

CEILING = 0.15  # false alarms among non-urgent lines (the target)
PRECISION = 0.85  # urgent precision (the target)
CONFIDENCE_Z = 1.645  # one-sided 95 %: the ceiling must hold beyond this sample, not just on it
CONSTRAINED_SPLITS = ("dev2",)  # written independently of the lexicon: the honest distribution
NEVER = 1.01  # a threshold no probability reaches
GRID = {
    "decide_below": (0.6, 0.7, 0.8),
    "decide_at": (0.5, 0.6, 0.7, 0.8),
    "raise_at": (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, NEVER),
    "flag_at": (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, NEVER),
}
FALLBACK = {"decide_below": 0.0, "decide_at": NEVER, "raise_at": NEVER, "flag_at": NEVER}  # the rules alone
assert tuple(GRID) == THRESHOLDS


@dataclass
class PolicyTable:
    """Examples and their predictions as arrays (levels as ranks: 0 urgent … 3 low)."""

    probabilities: np.ndarray  # (lines, levels)
    want: np.ndarray
    rules: np.ndarray
    confidence: np.ndarray
    rules_flag: np.ndarray
    groups: dict[str, np.ndarray]  # "all" and each constrained split -> mask


def policy_table(examples: Sequence[Example], predictions: Sequence[Prediction]) -> PolicyTable:
    """The arrays of `examples` and their `predictions`."""
    rank: dict[str | None, int] = {level: i for i, level in enumerate(URGENCY_LEVELS)}
    splits = np.array([e.split for e in examples])
    groups = {"all": np.ones(len(examples), bool)} | {s: splits == s for s in CONSTRAINED_SPLITS if (splits == s).any()}
    return PolicyTable(
        np.array([[p.probabilities[level] for level in URGENCY_LEVELS] for p in predictions]),
        np.array([rank[e.expect["urgency"]] for e in examples]),
        np.array([rank[e.rules.value] for e in examples]),
        np.array([e.rules.confidence for e in examples]),
        np.array([e.flagged for e in examples]),
        groups,
    )


def decide(table: PolicyTable, thresholds: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """(urgency rank, flagged) of every line under `thresholds`: `policy.combine` over arrays."""
    urgent, level = table.probabilities[:, 0], table.probabilities.argmax(axis=1)
    below = table.rules != 0  # the rules' urgent stands
    raised = below & (urgent >= thresholds["raise_at"])
    decided = (
        below
        & ~raised
        & (table.confidence < thresholds["decide_below"])
        & (level != table.rules)
        & (level != 0)
        & (table.probabilities.max(axis=1) >= thresholds["decide_at"])
    )
    ranks = np.where(raised, 0, np.where(decided, level, table.rules))
    flagged = (ranks != 0) & ((urgent >= thresholds["flag_at"]) | table.rules_flag)
    return ranks, flagged


def wilson_upper(hits: int, n: int, z: float = CONFIDENCE_Z) -> float:
    """Upper end of the Wilson score interval of a proportion `hits`/`n`."""
    if n == 0:
        return 0.0
    p = hits / n
    centre, spread = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre + spread) / (1 + z * z / n)


def precision(table: PolicyTable, ranks: np.ndarray, mask: np.ndarray) -> float:
    said = (ranks == 0) & mask
    return float((said & (table.want == 0)).sum() / max(said.sum(), 1))


def holds(table: PolicyTable, ranks: np.ndarray, flagged: np.ndarray, floors: dict[str, float]) -> bool:
    """Whether the constraints hold on every group (`floors`: the precision each group must keep)."""
    calm = table.want != 0
    for name, mask in table.groups.items():
        if wilson_upper(int((calm & mask & ((ranks == 0) | flagged)).sum()), int((calm & mask).sum())) > CEILING:
            return False
        if precision(table, ranks, mask) < floors[name] - 1e-12:
            return False
    return True


def settle_thresholds(examples: Sequence[Example], predictions: Sequence[Prediction]) -> dict[str, float]:
    """The thresholds that hold the constraints and miss the fewest emergencies (see the module docstring);
    the rules alone (`FALLBACK`) when no grid point holds."""
    table = policy_table(examples, predictions)
    floors = {name: min(PRECISION, precision(table, table.rules, mask)) for name, mask in table.groups.items()}
    urgent, best, chosen = table.want == 0, None, None
    for values in itertools.product(*GRID.values()):
        thresholds = dict(zip(GRID, values))
        if thresholds["flag_at"] > thresholds["raise_at"]:
            continue
        ranks, flagged = decide(table, thresholds)
        if not holds(table, ranks, flagged, floors):
            continue
        missed = int((urgent & (ranks != 0) & ~flagged).sum())
        key = (-missed, float((ranks == table.want).mean() + (abs(ranks - table.want) <= 1).mean()))
        if best is None or key > best:
            best, chosen = key, thresholds
    return chosen or dict(FALLBACK)
