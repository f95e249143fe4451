"""One labelled line as training reads it (train.py), settles thresholds on (settle.py) and scores (report.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from classifiers.decide import Decision


@dataclass
class Example:
    """A labelled line through the rules alone: its labels, its features and what the rules said."""

    id: str
    split: str
    expect: dict[str, Any]  # the labels: "urgency", and "category" and others where given
    features: list[str]
    rules: Decision  # the rules' urgency
    flagged: bool  # the rules' possible_emergency
    category: str | None
