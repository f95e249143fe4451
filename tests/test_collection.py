"""The README's test command on a fresh clone: without the shared corpora every test still collects.

A clone has no `../shared/corpora`; tests that need a corpus then skip one by one with the reason. A skip
raised while a module is imported would instead abort collection ("Interrupted", nothing runs).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # the whole suite collected in another pytest process


def test_a_clone_without_the_corpora_collects_every_module(tmp_path):
    clone = tmp_path / "clone"  # no ../shared beside it, as on a user's machine
    shutil.copytree(ROOT, clone, ignore=shutil.ignore_patterns(".git", ".venv", "*.egg-info", "__pycache__", "*.db"))
    env = {key: value for key, value in os.environ.items() if key not in {"CI", "INTAKE_CORPORA_DIR"}}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "error" not in result.stdout.splitlines()[-1], result.stdout[-3000:]
