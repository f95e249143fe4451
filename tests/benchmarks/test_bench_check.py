"""The benchmark's own check: it must be able to see a lost, a duplicated and an unacknowledged delivery."""

from __future__ import annotations

import importlib.util

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("bench_webhooks", ROOT / "benchmarks" / "bench_webhooks.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

SENT = ["wamid.A", "wamid.B", "wamid.A"]  # A delivered twice (a retry)


def test_a_clean_run_counts_retries_once():
    answers = [
        (0, 200, {"accepted": 1, "raw_ids": [1]}),
        (1, 200, {"accepted": 1, "raw_ids": [2]}),
        (2, 200, {"accepted": 0, "duplicates": 1, "raw_ids": [1]}),
    ]
    counts = bench.check_deliveries(SENT, answers, [("wamid.A", 1), ("wamid.B", 2)])
    assert counts == {
        "sent": 3,
        "distinct": 2,
        "stored": 2,
        "not_acknowledged": 0,
        "lost": 0,
        "unexpected": 0,
        "duplicates": 0,
    }


def test_lost_duplicated_and_unanswered_deliveries_are_counted():
    answers = [
        (0, 200, {"accepted": 1, "raw_ids": [1]}),
        (1, 503, {}),
        (2, 200, {"accepted": 1, "raw_ids": [3]}),
    ]  # the retry was taken as new, with another raw id
    counts = bench.check_deliveries(SENT, answers, [("wamid.A", 1), ("wamid.A", 3)])
    assert counts["lost"] == 1 and counts["not_acknowledged"] == 1
    assert counts["duplicates"] == 3  # two rows, two "new" answers, two raw ids: each seen separately
