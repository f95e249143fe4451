"""Long texts: frame search is not quadratic in the text's length, and the classifier reads a bounded prefix.

"i am not stuck in the lift and " repeated gives a frame start and a negation every few words: each frame start
used to scan every negation and every `unless` word of the whole text (130 s at 1 MB).
"""

from __future__ import annotations

import json
import subprocess
import sys

from classifiers import ClassifyInput
from classifiers.classifier import MAX_READ_CHARS
from tests.classifiers.conftest import REGISTRY, ROOT, RULES

_NEGATED = "i am not stuck in the lift and "
_GENEROUS = 90  # seconds; far above what a linear search takes, far below the old quadratic one


def _run(script: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=_GENEROUS, check=True
    )


def test_a_one_megabyte_body_is_classified_as_a_user_would(tmp_path):
    source = tmp_path / "big.jsonl"
    source.write_text(json.dumps({"sender": "a@example.org", "body": _NEGATED * (1_000_000 // len(_NEGATED))}) + "\n")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "intake.cli.main",
            "classify",
            "--rules",
            str(RULES),
            "--registry",
            str(REGISTRY),
            str(source),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=_GENEROUS,
        check=True,
    ).stdout
    result = json.loads(out.splitlines()[-1])
    assert any(e["source"] == "truncated" for e in result["evidence"])


def test_frame_search_on_a_one_megabyte_text_is_not_quadratic():
    # The read cap lifted, so the frame search itself sees the whole megabyte.
    out = _run(f"""
import classifiers.classifier as c
from classifiers import Classifier, ClassifyInput
from store.registry import load_registry
c.MAX_READ_CHARS = 10**9
cl = Classifier.load({str(RULES)!r}, load_registry({str(REGISTRY)!r}))
r = cl.classify(ClassifyInput(sender="a@example.org", body={_NEGATED!r} * {1_000_000 // len(_NEGATED)}))
print(sorted(e.source for e in r.evidence if e.source.startswith("frame:")))
""").stdout
    assert out.strip() == "[]"  # every "stuck in the lift" is negated


def test_text_after_the_read_cap_is_not_read(classifier):
    filler = "the hallway carpet is a bit worn. " * (MAX_READ_CHARS // 34 + 10)
    late = classifier.classify(ClassifyInput(sender="a@example.org", body=filler + "my dad is trapped in the lift"))
    early = classifier.classify(ClassifyInput(sender="a@example.org", body="my dad is trapped in the lift. " + filler))
    assert not any(e.source == "frame:trapped-in-lift" for e in late.evidence)
    assert any(e.source == "truncated" for e in late.evidence)
    assert any(e.source == "frame:trapped-in-lift" for e in early.evidence)
