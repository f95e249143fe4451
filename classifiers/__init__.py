"""Classification stage: where the problem is, what it is, how urgent, who pays - each with evidence.

Flow: `parse → guard → find thread → classify → decide (rules) → …`; this package is `classify`.
"""

from classifiers.classifier import Classifier
from classifiers.errors import ClassifierConfigError, ClassifierError
from classifiers.models import (
    FIELDS,
    Classification,
    ClassifyInput,
    Evidence,
)

__all__ = [
    "FIELDS",
    "Classification",
    "ClassifyInput",
    "Classifier",
    "ClassifierConfigError",
    "ClassifierError",
    "Evidence",
]
