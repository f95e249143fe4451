"""Classification stage: where the problem is, what it is, how urgent, who pays - each with evidence.

Flow: `parse → guard → find thread → classify → decide (rules) → …`; this package is `classify`.
"""

from classifiers.classifier import Classifier
from classifiers.errors import ClassifierConfigError, ClassifierError
from classifiers.models import (
    FIELDS,
    PRIORITY_BY_URGENCY,
    URGENCY_LEVELS,
    Classification,
    ClassifyInput,
    Evidence,
    priority_of,
)

__all__ = [
    "FIELDS",
    "PRIORITY_BY_URGENCY",
    "URGENCY_LEVELS",
    "Classification",
    "ClassifyInput",
    "Classifier",
    "ClassifierConfigError",
    "ClassifierError",
    "Evidence",
    "priority_of",
]
