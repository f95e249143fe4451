"""The fault suite (#18): a real serve + worker + beat on a private PostgreSQL and Redis, under SIGKILL of a worker
process, Redis SHUTDOWN NOSAVE and SIGSTOP, and PostgreSQL stopped (immediate); every delivery accepted is
processed exactly once, nothing is lost or duplicated, bad bodies are refused 4xx."""

from __future__ import annotations

import pytest

from tests.faults.run_faults import fault_run, report

pytestmark = pytest.mark.faults


def test_deliveries_survive_worker_redis_and_database_faults(tmp_path):
    run, result, expected = fault_run(tmp_path, deliveries=120, emails=30, pause=3.0, settle=120)
    print(report(run, result, expected))
    assert not [step for step in run.faults if step.startswith("FAILED")], run.faults
    assert not result.lost(expected), f"lost: {result.lost(expected)[:10]}"
    assert not result.duplicated(expected), f"duplicated: {result.duplicated(expected)[:10]}"
    assert len(run.accepted) + 30 == len(expected)  # every delivery was accepted in the end (after retries)
    assert result.stored == {"processed": len(expected)}  # no 200 for anything not stored; none quarantined
    assert run.bad_5xx_outside_outage == 0 and set(run.bad) - {0, 503} <= set(range(400, 500)), run.bad
    assert all(run.emails_ingested.values())
