"""Measure the classifier against labelled messages (`intake eval`): per-field accuracy, urgent recall and
precision, urgency within one level, the safety view (missed emergencies, false alarms) and confusion matrices.

The safety view counts a message the classifier called `urgent` or flagged `possible_emergency` as raised: an
emergency neither raised is missed; a message labelled below urgent that was raised is a false alarm.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from classifiers.models import FIELDS
from intake.core.vocabulary import URGENCY_LEVELS

_RANK = {level: i for i, level in enumerate(URGENCY_LEVELS)}


@dataclass
class Scores:
    """Running totals over (expected, predicted) pairs."""

    total: int = 0
    correct: Counter[str] = field(default_factory=Counter)
    seen: Counter[str] = field(default_factory=Counter)
    confusion: dict[str, Counter[tuple[Any, Any]]] = field(default_factory=lambda: defaultdict(Counter))
    misses: list[tuple[str, str, object, object]] = field(default_factory=list)
    emergencies: int = 0
    missed: list[str] = field(default_factory=list)
    calm: int = 0  # labelled below urgent
    false_alarms: list[str] = field(default_factory=list)

    def add(self, item_id: str, expect: dict[str, Any], got: dict[str, Any]) -> None:
        self.total += 1
        want: Any
        have: Any
        for name in FIELDS + ("location",):
            if name == "location":
                if "unit" not in expect or "property" not in expect:
                    continue
                want, have = (expect["property"], expect["unit"]), (got.get("property"), got.get("unit"))
            elif name in expect:
                want, have = expect[name], got.get(name)
            else:
                continue
            self.seen[name] += 1
            if want == have:
                self.correct[name] += 1
            else:
                self.misses.append((item_id, name, want, have))
        if "urgency" in expect:
            want, have = expect["urgency"], got.get("urgency")
            self.confusion["urgency"][(want, have)] += 1
            self.seen["urgency_within_one"] += 1
            if have in _RANK and want in _RANK and abs(_RANK[want] - _RANK[have]) <= 1:
                self.correct["urgency_within_one"] += 1
            self._add_safety(item_id, want, is_raised(got))
        if "category" in expect:
            self.confusion["category"][(expect["category"], got.get("category"))] += 1

    def _add_safety(self, item_id: str, want: str, raised: bool) -> None:
        if want == "urgent":
            self.emergencies += 1
            if not raised:
                self.missed.append(item_id)
        elif want in _RANK:
            self.calm += 1
            if raised:
                self.false_alarms.append(item_id)

    def safety(self) -> tuple[float | None, float | None]:
        """(share of emergencies missed, share of non-emergencies raised); None where there were none."""
        return (
            len(self.missed) / self.emergencies if self.emergencies else None,
            len(self.false_alarms) / self.calm if self.calm else None,
        )

    def accuracy(self, name: str) -> float | None:
        return self.correct[name] / self.seen[name] if self.seen[name] else None

    def urgent_recall_precision(self) -> tuple[float | None, float | None]:
        pairs = self.confusion["urgency"]
        tp = sum(n for (w, h), n in pairs.items() if w == "urgent" and h == "urgent")
        actual = sum(n for (w, _), n in pairs.items() if w == "urgent")
        predicted = sum(n for (_, h), n in pairs.items() if h == "urgent")
        return (tp / actual if actual else None, tp / predicted if predicted else None)

    def report(self, title: str) -> str:
        lines = [f"== {title}: {self.total} messages"]
        for name in FIELDS + ("location", "urgency_within_one"):
            value = self.accuracy(name)
            if value is not None:
                label = "unit+property" if name == "location" else name
                lines.append(f"  {label:<20} {value:6.3f}  ({self.correct[name]}/{self.seen[name]})")
        recall, precision = self.urgent_recall_precision()
        if recall is not None or precision is not None:
            lines.append(f"  {'urgent recall':<20} {_figure(recall):>6}   urgent precision {_figure(precision)}")
        if self.emergencies or self.calm:
            lines.append(
                f"  {'missed emergencies':<20} {len(self.missed):>6}/{self.emergencies}   "
                f"false alarms {len(self.false_alarms)}/{self.calm} (urgent or flagged possible emergency)"
            )
        for name in ("urgency", "category"):
            lines.extend(_matrix(name, self.confusion[name]))
        return "\n".join(lines)


def is_raised(got: dict[str, Any]) -> bool:
    """Whether a person is alerted to this message: classified urgent, or flagged as a possible emergency."""
    return got.get("urgency") == "urgent" or bool(got.get("possible_emergency"))


def _matrix(name: str, pairs: Counter[tuple[Any, Any]]) -> list[str]:
    if not pairs:
        return []
    labels = sorted({w for w, _ in pairs} | {h for _, h in pairs}, key=lambda v: (_RANK.get(v, 9), str(v)))
    width = max(8, *(len(str(label)) for label in labels)) + 1
    out = [
        f"  {name} confusion (rows expected, columns predicted)",
        "  " + " " * width + "".join(f"{str(label)[: width - 1]:>{width}}" for label in labels),
    ]
    for want in labels:
        out.append(
            "  " + f"{str(want):<{width}}" + "".join(f"{pairs.get((want, have), 0):>{width}}" for have in labels)
        )
    return out


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
