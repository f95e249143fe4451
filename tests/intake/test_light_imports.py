"""Processes that only enqueue work (the web app, the beat, the actors' senders) never load spaCy: the imports of
the classifiers package stay inside the functions that classify (see the comments marked `lazy:`)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_enqueuing_modules_do_not_load_the_classifier():
    code = (
        "import sys, intake.actors, intake.beat, intake.web.app, intake.web.webhooks, intake.ingest, intake.runtime; "
        "print(sorted(name for name in ('spacy', 'classifiers') if name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
