"""Behaviour is unchanged: every labelled message classifies, and every sample goes through the pipeline, exactly
as recorded in tests/snapshots/ (see tests/snapshot.py for what is recorded and how to write it again)."""

from __future__ import annotations

import difflib

from tests.snapshot import CLASSIFICATIONS, PIPELINE, classification_lines, pipeline_lines


def _same(recorded: list[str], fresh: list[str], name: str) -> None:
    if recorded != fresh:
        diff = "\n".join(list(difflib.unified_diff(recorded, fresh, "recorded", "now", lineterm="", n=0))[:40])
        raise AssertionError(f"{name} changed ({len(recorded)} recorded, {len(fresh)} now); first differences:\n{diff}")


def test_classifications_are_as_recorded():
    recorded = CLASSIFICATIONS.read_text(encoding="utf-8").splitlines()
    assert len(recorded) > 1500
    _same(recorded, classification_lines(), "classifications")


def test_pipeline_results_are_as_recorded(tmp_path):
    recorded = PIPELINE.read_text(encoding="utf-8").splitlines()
    assert len(recorded) > 40
    _same(recorded, pipeline_lines(tmp_path / "demo"), "pipeline results")
