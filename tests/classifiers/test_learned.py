"""The learned urgency model (classifiers/learned): reproducible training, the shipped file, the combination
policy with the rules (a danger the rules found is never lowered; the model raises only from its threshold, and
says why), and the same features whether trained on or classified."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner

from classifiers import Classifier, ClassifyInput
from classifiers.decide import Decision
from classifiers.learned.example import Example
from classifiers.learned.model import DEFAULT_MODEL, Prediction, UrgencyModel, load_model, save_model
from classifiers.learned.nested import nested_outcomes
from classifiers.learned.policy import combine
from classifiers.learned.report import nested_report
from classifiers.learned.settle import NEVER, decide, policy_table, settle_thresholds
from classifiers.learned.train import fit, group_of, outcome, read_examples, train
from classifiers.records import record_input
from intake.cli.main import cli
from intake.core.vocabulary import URGENCY_LEVELS
from tests.classifiers.conftest import LABELED, RULES

THRESHOLDS = {"decide_below": 0.7, "decide_at": 0.6, "raise_at": 0.7, "flag_at": 0.3}


def prediction(urgent: float, rest: str = "standard") -> Prediction:
    probabilities = {level: 0.0 for level in URGENCY_LEVELS} | {"urgent": urgent, rest: 1.0 - urgent}
    return Prediction(probabilities, ("'ascensor'", "'no puedo'"))


@pytest.mark.slow  # trains twice
def test_training_on_a_slice_twice_gives_the_same_bytes(rules_only, tmp_path):
    lines = LABELED.read_text(encoding="utf-8").splitlines()
    labeled = tmp_path / "slice.jsonl"
    labeled.write_text("\n".join(lines[:120] + lines[-180:]) + "\n", encoding="utf-8")
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    save_model(train(rules_only, labeled, seed=7)[0], first)
    save_model(train(rules_only, labeled, seed=7)[0], second)
    assert first.read_bytes() == second.read_bytes()
    save_model(train(rules_only, labeled, seed=8)[0], second)  # the seed moves the folds, so the thresholds may move
    assert load_model(second).meta["seed"] == 8


@pytest.mark.slow  # trains on the whole labelled set
def test_the_shipped_model_is_what_intake_train_writes_from_the_labelled_set(tmp_path):
    out = tmp_path / "urgency.npz"
    result = CliRunner().invoke(
        cli, ["train", "--labeled", str(LABELED), "--out", str(out), "--rules", str(RULES), "--no-nested"]
    )  # the same file either way; nested costs 25 fits more
    assert result.exit_code == 0, result.output
    assert "combined" in result.output and "rules alone" in result.output and "model alone" in result.output
    assert out.read_bytes() == DEFAULT_MODEL.read_bytes(), (
        "the shipped model is stale: run `intake train` (rules or labelled set changed) and commit the file"
    )


def test_the_model_file_is_small_plain_arrays_loaded_without_pickle():
    assert DEFAULT_MODEL.stat().st_size < 1_000_000
    with zipfile.ZipFile(DEFAULT_MODEL) as archive:
        assert sorted(archive.namelist()) == sorted(
            f"{n}.npy" for n in ("features", "weights", "bias", "levels", "threshold_names", "thresholds", "meta")
        )
    with np.load(DEFAULT_MODEL, allow_pickle=False) as data:  # would raise on an object array
        assert data["weights"].shape == (len(data["features"]), 4)
    model = load_model(DEFAULT_MODEL)
    assert model.levels == URGENCY_LEVELS and set(model.thresholds) == set(THRESHOLDS)


def test_a_rules_urgent_is_never_lowered_by_the_model():
    rules = Decision("urgent", 0.85, [{"field": "urgency", "source": "frame:trapped-in-lift", "text": "x"}])
    decision, flag = combine(rules, prediction(0.01, "low"), THRESHOLDS)
    assert decision is rules and flag is None


def test_the_model_raises_only_from_its_threshold_and_says_why():
    rules = Decision("standard", 0.85, [{"field": "urgency", "source": "concept:lift", "text": "lift"}])
    below, flag = combine(rules, prediction(0.69), THRESHOLDS)
    assert below.value == "standard"
    assert flag == "model: urgent 0.69 from 'ascensor', 'no puedo'"  # over flag_at: a person looks
    raised, flag = combine(rules, prediction(0.7), THRESHOLDS)
    assert raised.value == "urgent" and flag is None
    assert raised.evidence[0] == {
        "field": "urgency",
        "source": "model",
        "text": "urgent 0.70 from 'ascensor', 'no puedo'",
    }
    assert raised.evidence[1:] == rules.evidence  # the rules' view stays beside it
    quiet, flag = combine(rules, prediction(0.29), THRESHOLDS)
    assert quiet is rules and flag is None


def test_the_model_decides_only_where_the_rules_are_unsure():
    unsure = Decision("standard", 0.65, [{"field": "urgency", "source": "default:maintenance", "text": ""}])
    decided, _ = combine(unsure, prediction(0.1, "low"), THRESHOLDS)
    assert decided.value == "low" and decided.evidence[0]["text"].startswith("low 0.90 from")
    sure = Decision("standard", 0.85, unsure.evidence)
    assert combine(sure, prediction(0.1, "low"), THRESHOLDS)[0] is sure


def test_a_raise_by_the_model_reaches_the_classification_with_its_evidence(registry, rules_only):
    body = "the balcony door squeaks when I open it"
    assert rules_only.classify(ClassifyInput(body=body)).urgency != "urgent"
    weights = np.zeros((1, 4))
    weights[0, 0] = 12.0  # "squeaks" -> urgent (a made-up model: the policy is under test)
    model = UrgencyModel(("w:squeaks",), weights, np.zeros(4), URGENCY_LEVELS, THRESHOLDS, {})
    result = Classifier.load(RULES, registry, model=model).classify(ClassifyInput(body=body))
    assert result.urgency == "urgent" and not result.possible_emergency
    said = next(e for e in result.evidence if e.source == "model")
    assert said.field == "urgency" and said.text.startswith(("urgent 0.9", "urgent 1.00")) and "'squeaks'" in said.text


def test_classifying_sees_the_features_training_learned_from(classifier, rules_only):
    records = [json.loads(line) for line in LABELED.read_text(encoding="utf-8").splitlines()[::40]]
    index = classifier.model.model.index
    for record in records:
        reading = classifier.read(record_input(record))
        names = rules_only.urgency_features(reading)
        signal_names = [n for n in names if n[0] not in "wbp"]
        rows = classifier.model.rows(reading.orths, signal_names)
        assert sorted(set(rows)) == sorted({index[n] for n in names if n in index}), record["id"]


def test_folds_keep_a_writers_run_of_lines_together():
    assert group_of("dev2-es-0003") == group_of("dev2-es-0024") != group_of("dev2-es-0025")
    assert group_of("dev2-es-0003") != group_of("dev2-fr-0003")


def _example(number: int, split: str, want: str, rules: str = "standard") -> Example:
    return Example(f"{split}-{number:04d}", split, {"urgency": want}, [], Decision(rules, 0.85, []), False, None)


def test_thresholds_hold_the_false_alarm_ceiling_on_an_independent_split_not_only_pooled():
    # 700 calm lines written alongside the lexicon the model reads calmly, 100 calm dev2 lines it reads at 0.3
    # (pooled: 100/800 flagged at 0.3 is 12.5 %, under the ceiling; dev2 alone: 100 %), 40 dev2 emergencies
    examples = (
        [_example(i, "dev", "standard") for i in range(700)]
        + [_example(i, "dev2", "low") for i in range(100)]
        + [_example(100 + i, "dev2", "urgent") for i in range(40)]
    )
    urgent = [0.05] * 700 + [0.3] * 100 + [0.3] * 20 + [0.5] * 20
    predictions = [prediction(p) for p in urgent]
    chosen = settle_thresholds(examples, predictions)
    assert chosen["flag_at"] > 0.3 and chosen["raise_at"] > 0.3  # 0.3 would flag every calm dev2 line
    ranks, flagged = decide(policy_table(examples, predictions), chosen)
    assert not flagged[700:800].any() and not (ranks[700:800] == 0).any()
    assert flagged[820:].all() or (ranks[820:] == 0).all()  # the fewest missed that the ceiling allows


def test_the_model_neither_raises_nor_flags_when_no_threshold_holds_the_ceiling():
    examples = [_example(i, "dev2", "low") for i in range(50)] + [_example(50 + i, "dev2", "urgent") for i in range(5)]
    predictions = [prediction(0.95)] * 55  # the model cannot tell them apart
    chosen = settle_thresholds(examples, predictions)
    assert chosen["raise_at"] == chosen["flag_at"] == NEVER


def test_the_settled_grid_decides_as_the_policy_does_on_every_labelled_line(rules_only):
    examples = read_examples(rules_only, LABELED)
    model = load_model(DEFAULT_MODEL)
    predictions = [prediction_of(model, e) for e in examples]
    table = policy_table(examples, predictions)
    for thresholds in (
        model.thresholds,
        THRESHOLDS,
        {"decide_below": 0.8, "decide_at": 0.5, "raise_at": 0.4, "flag_at": 0.15},
    ):
        ranks, flagged = decide(table, thresholds)
        for example, pred, rank, flag in zip(examples, predictions, ranks, flagged):
            got = outcome(example, pred, thresholds)
            assert (URGENCY_LEVELS[rank], bool(flag)) == (got["urgency"], got["possible_emergency"]), example.id


def prediction_of(model, example):
    from classifiers.learned.train import predict

    return predict(model, example)


@pytest.mark.slow  # trains once per fold
def test_nested_cross_validation_scores_each_fold_with_thresholds_settled_without_it(rules_only, tmp_path):
    lines = LABELED.read_text(encoding="utf-8").splitlines()
    labeled = tmp_path / "slice.jsonl"
    labeled.write_text("\n".join(lines[:150] + lines[-250:]) + "\n", encoding="utf-8")
    examples = read_examples(rules_only, labeled)
    outcomes, predictions, outer = nested_outcomes(examples, seed=3)
    assert sorted(i for fold in outer for i in fold.held_out) == list(range(len(examples)))
    for fold in outer:
        held = set(fold.held_out)
        kept = [e for i, e in enumerate(examples) if i not in held]
        assert fold.thresholds == fit(kept, seed=3)[0].thresholds  # settled on the other lines alone
        assert {group_of(examples[i].id) for i in held}.isdisjoint({group_of(e.id) for e in kept})
    assert all(o is not None for o in outcomes)
    report = nested_report(examples, (outcomes, predictions, outer))
    assert "nested cross-validation" in report and "outer fold 5" in report and "dev2" in report
