""".ci/run runs the README's test command with CI=true whatever the runner set, so a missing corpus or Dovecot
fails CI instead of skipping; its collection check runs as a user's clone does, without CI."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTEST = ".venv/bin/pytest"


def pytest_lines() -> tuple[list[str], str]:
    """(the test runs: the README's test command, the slow tests' and the fault suite's steps; the collection
    check) as .ci/run runs them."""
    lines = [
        line
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if PYTEST in line and not line.lstrip().startswith("#")
    ]
    tests = [line for line in lines if "--collect-only" not in line]
    [collection] = [line for line in lines if "--collect-only" in line]
    return tests, collection


def test_the_test_runs_have_ci_true_when_the_runner_did_not_set_it(tmp_path):
    tests, collection = pytest_lines()
    fake = tmp_path / PYTEST
    fake.parent.mkdir(parents=True)
    fake.write_text('#!/bin/sh\necho "CI=${CI-unset}"\n')
    fake.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    assert len(tests) == 3  # the quick run, then the slow tests, then the fault suite with its counts shown
    for line in tests:
        command = line.split("&&")[-1].strip()  # the pytest run, after the venv's set-up
        assert PYTEST in command, command
        ran = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert ran.stdout.strip() == "CI=true", command + "\n" + ran.stdout + ran.stderr
    assert collection.lstrip().startswith("env -u CI ")  # the collection check stays a user's view


def test_ci_runs_the_readmes_command_and_then_every_test_it_leaves_out():
    readme = (ROOT / "README.md").read_text().splitlines()
    [command] = [line for line in readme if line.startswith("python3 -m venv") and PYTEST in line]
    tests, _ = pytest_lines()
    assert tests[0].split(PYTEST)[1].strip() == command.split(PYTEST)[1].strip()  # the same quick run
    markers = [(words := shlex.split(line.split(PYTEST)[1]))[words.index("-m") + 1] for line in tests]
    assert markers == ["not slow and not faults", "slow and not faults", "faults"]  # together: every test
