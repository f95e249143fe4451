"""The CPU split benchmark's own tally: a part's time counts once however deep its calls nest."""

from __future__ import annotations

import importlib.util
import sys
import time

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))  # the split benchmark imports the ingest benchmark's helpers
_spec = importlib.util.spec_from_file_location("bench_pipeline_split", ROOT / "benchmarks" / "bench_pipeline_split.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def _spin(seconds: float) -> None:
    until = time.process_time() + seconds
    while time.process_time() < until:
        pass


class Client:
    def execute(self, nested: int = 0) -> None:
        _spin(0.02)
        if nested:
            self.execute(nested - 1)  # an autoflush inside a query, say

    def flush(self) -> None:
        self.execute(1)


def test_nested_calls_of_one_part_count_once():
    tally = bench.CpuTally()
    for name in ("execute", "flush"):
        tally.wrap(Client, name, "database client")
    client = Client()
    started = time.process_time()
    client.flush()
    client.execute()
    spent = time.process_time() - started
    assert 0.06 <= tally.seconds["database client"] <= spent  # 3 spins, each counted once
    assert set(tally.seconds) == {"database client"}
