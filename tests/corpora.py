"""Where the shared real-world corpora live, and the rule for when they are missing.

They sit beside the project (`../shared/corpora`). A user's fresh clone may not have them: tests then skip
with a clear reason. In CI (`CI=true`) a missing corpus fails the run instead, so it can never pass unseen.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"


def corpus(name: str) -> Path:
    """The folder of one corpus (e.g. 'zammad-mail'); skip, or fail under CI, when it is not there."""
    path = CORPORA / name
    if not path.is_dir():
        message = f"corpus {name!r} not found at {path} (it ships beside the project as ../shared/corpora)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    return path
