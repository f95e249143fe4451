"""Shared fixtures: the real rules in rules/ and the sample registry, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers import Classifier
from store.registry import load_registry

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
REGISTRY = ROOT / "samples" / "registry.yaml"
LABELED = ROOT / "samples" / "labeled.jsonl"


@pytest.fixture(scope="session")
def registry():
    return load_registry(REGISTRY)


@pytest.fixture(scope="session")
def classifier(registry):
    return Classifier.load(RULES, registry)


@pytest.fixture(scope="session")
def rules_only(registry):
    """The classifier without the learned urgency model: the rules' own decisions."""
    return Classifier.load(RULES, registry, model=None)
