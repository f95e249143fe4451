"""The labelled development set (samples/labeled.jsonl) through the real classifier: accuracy floors.

Splits: `dev` (tuned on), `holdout` (only aggregate figures looked at while developing) and `fresh` (written
after the classifier and scored once blind before joining the development data) and `blind2` (88 messages
written before the concept-level rules of issue 5 and scored blind once: category 0.932, subcategory 0.932,
urgency 0.864, urgent recall 0.788; the rules were changed after that, so it is no longer blind). The floors
sit a little under what the classifier reaches today, so a regression fails the suite.

`dev2` (895 lines in six languages, written for issue #16 from the labelling definitions by writers who saw neither
the lexicon nor the classifier) is tuning data: its floors are its first score (urgency 0.627, urgent recall 0.585,
122/294 emergencies missed) and only rise. The `all` floors cover the other splits.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from classifiers import ClassifyInput
from classifiers.evaluate import Scores
from classifiers.records import strip_quotes
from tests.classifiers.conftest import LABELED

FLOORS_ALL = {
    "category": 0.95,
    "subcategory": 0.94,
    "urgency": 0.93,
    "urgency_within_one": 0.96,
    "location": 0.98,
    "billing_type": 0.96,
}
FLOORS_HOLDOUT = {"category": 0.88, "subcategory": 0.88, "urgency": 0.86, "location": 0.95}
FLOORS_FRESH = {"category": 0.92, "subcategory": 0.90, "urgency": 0.93, "location": 0.98}
FLOORS_DEV2 = {
    "category": 0.810,
    "subcategory": 0.710,
    "urgency": 0.626,
    "urgency_within_one": 0.845,
    "location": 0.971,
}
FLOORS_BLIND2 = {"category": 0.94, "subcategory": 0.94, "urgency": 0.90, "urgency_within_one": 0.93, "location": 0.98}


def _records():
    return [json.loads(line) for line in LABELED.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def scores(classifier):
    overall, holdout, fresh, blind2, dev2 = Scores(), Scores(), Scores(), Scores(), Scores()
    for record in _records():
        item = ClassifyInput(
            id=record["id"],
            channel=record["channel"],
            sender=record["from"],
            subject=record["subject"],
            body=strip_quotes(record["body"]),
            received_at=record.get("received_at"),
        )
        got = classifier.classify(item).model_dump()
        if record.get("split") != "dev2":
            overall.add(record["id"], record["expect"], got)
        split = {"holdout": holdout, "fresh": fresh, "blind2": blind2, "dev2": dev2}.get(record.get("split"))
        if split is not None:
            split.add(record["id"], record["expect"], got)
    return overall, holdout, fresh, blind2, dev2


def test_labeled_set_is_large_and_varied():
    records = _records()
    assert len(records) >= 300
    assert {r["channel"] for r in records} >= {"email", "whatsapp"}
    assert len({r["expect"]["category"] for r in records}) == 8
    assert sum(r["split"] == "holdout" for r in records) >= 60
    assert sum(r["split"] == "blind2" for r in records) >= 80
    assert sum(">" in r["body"] for r in records) >= 5  # replies with quoted history


def test_labeled_set_has_twenty_lines_in_every_category_and_urgency_cell_it_has():
    records = _records()
    cells = Counter((r["expect"]["category"], r["expect"]["urgency"]) for r in records)
    assert len(records) >= 1500
    assert min(cells.values()) >= 20, cells
    languages = Counter(r.get("language", "en") for r in records)
    assert all(languages[code] >= 80 for code in ("es", "fr", "de", "it", "pt")), languages


@pytest.mark.parametrize("field", sorted(FLOORS_DEV2))
def test_accuracy_floor_dev2(scores, field):
    dev2 = scores[4]
    assert dev2.accuracy(field) >= FLOORS_DEV2[field], dev2.report("dev2")


def test_dev2_urgent_recall_and_missed_emergencies_never_get_worse(scores):
    dev2 = scores[4]
    assert dev2.urgent_recall_precision()[0] >= 0.585
    assert len(dev2.missed) <= 122


@pytest.mark.parametrize("field", sorted(FLOORS_ALL))
def test_accuracy_floor_all(scores, field):
    overall = scores[0]
    assert overall.accuracy(field) >= FLOORS_ALL[field], overall.report("all")


@pytest.mark.parametrize("field", sorted(FLOORS_HOLDOUT))
def test_accuracy_floor_holdout(scores, field):
    holdout = scores[1]
    assert holdout.accuracy(field) >= FLOORS_HOLDOUT[field], holdout.report("holdout")


@pytest.mark.parametrize("field", sorted(FLOORS_FRESH))
def test_accuracy_floor_fresh(scores, field):
    fresh = scores[2]
    assert fresh.accuracy(field) >= FLOORS_FRESH[field], fresh.report("fresh")


@pytest.mark.parametrize("field", sorted(FLOORS_BLIND2))
def test_accuracy_floor_blind2(scores, field):
    blind2 = scores[3]
    assert blind2.accuracy(field) >= FLOORS_BLIND2[field], blind2.report("blind2")


def test_blind2_urgent_recall_and_precision(scores):
    recall, precision = scores[3].urgent_recall_precision()
    assert recall >= 0.95
    assert precision >= 0.85


def test_urgent_recall_and_precision(scores):
    recall, precision = scores[0].urgent_recall_precision()
    assert recall >= 0.97
    assert precision >= 0.88


def test_every_decision_carries_confidence_and_evidence(classifier):
    for record in _records()[:60]:
        result = classifier.classify(
            ClassifyInput(sender=record["from"], subject=record["subject"], body=strip_quotes(record["body"]))
        )
        assert set(result.confidence) == {"category", "subcategory", "urgency", "property", "unit", "billing_type"}
        assert all(0.0 <= value <= 1.0 for value in result.confidence.values())
        assert {e.field for e in result.evidence} >= {"category", "urgency"}
