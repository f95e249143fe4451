"""A real `intake worker` process on the test's Redis namespace, for the tests of what it logs and survives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass

import pytest

from tests.conftest import REDIS_URL, ROOT
from tests.waits import OutputLines, output_of


@dataclass
class WorkerProcess:
    """`intake worker` in a session of its own (a stop reaches Dramatiq's processes too) and what it writes."""

    process: subprocess.Popen
    output: OutputLines

    def stop(self) -> str:
        """SIGTERM to every process of the session, as a service manager stops it; returns the whole output."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)
        return self.output.all()


@pytest.fixture
def intake_worker(tmp_path, redis_broker):
    """`intake_worker(database_url, processes, threads, **env)`: `intake worker` on the test broker's Redis
    namespace (what the test sends reaches it), with extra INTAKE_ variables; stopped at the end of the test."""
    started: list[WorkerProcess] = []

    def start(database_url: str, processes: int, threads: int, **env: str) -> WorkerProcess:
        variables = os.environ | {
            "INTAKE_DATABASE_URL": database_url,
            "INTAKE_REDIS_URL": REDIS_URL,
            "INTAKE_REDIS_NAMESPACE": redis_broker.namespace,
            "INTAKE_DATA_DIR": str(tmp_path / "data"),
            "INTAKE_RULES_DIR": str(ROOT / "rules"),
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "intake.cli.main",
                "worker",
                "--processes",
                str(processes),
                "--threads",
                str(threads),
            ],
            env=variables | env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(WorkerProcess(process, output_of(process)))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()
