"""Where the shared real-world corpora live, and the rule for when they are missing.

They sit beside the project (`../shared/corpora`; `INTAKE_CORPORA_DIR` points elsewhere). A user's fresh clone
may not have them: tests then skip with a clear reason. In CI (`CI=true`) a missing corpus fails the run
instead, so it can never pass unseen.

Tests that parametrise over a corpus's files list them with `corpus_params`, never by calling `corpus()` at
import time: a skip raised while a module is collected aborts the whole module as a collection error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

DEFAULT_CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
MISSING_CORPUS_MARK = "corpus_missing"


def corpora_dir() -> Path:
    """The folder holding every corpus: `INTAKE_CORPORA_DIR`, else `../shared/corpora` beside the project."""
    configured = os.environ.get("INTAKE_CORPORA_DIR")
    return Path(configured) if configured else DEFAULT_CORPORA


def corpus(name: str) -> Path:
    """The folder of one corpus (e.g. 'zammad-mail'); skip, or fail under CI, when it is not there."""
    path = corpora_dir() / name
    if not path.is_dir():
        message = (
            f"corpus {name!r} not found at {path} (it ships beside the project as ../shared/corpora; "
            "INTAKE_CORPORA_DIR points elsewhere)"
        )
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    return path


def corpus_params(name: str, files: Callable[[Path], Iterable[Path]]) -> list:
    """Parameters for `pytest.mark.parametrize`: `files(corpus folder)` when the corpus is there.

    When it is not, one placeholder parameter marked `corpus_missing`: the conftest hook then calls `corpus()`
    as that test is set up, so it skips with the reason (or fails under CI) and collection goes on.
    """
    folder = corpora_dir() / name
    if folder.is_dir():
        return list(files(folder))
    return [pytest.param(None, id=f"{name}-missing", marks=pytest.mark.corpus_missing(name))]


def check_missing_corpus(item: pytest.Item) -> None:
    """Skip (or fail under CI) a test whose parameters came from a corpus that is not there."""
    for mark in item.iter_markers(MISSING_CORPUS_MARK):
        corpus(mark.args[0])
