"""A broken rules file never quarantines mail: with a last good version in the process, items are decided by
it (the classifier's files are hot-reloaded like the assignment rules); with none, items stay pending, unclaimed,
until the files are fixed."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from classifiers import ClassifyInput
from intake.channels.email.files import email_raw
from intake.cli.main import cli
from intake.core.settings import get_settings
from intake.ingest import accept
from intake.pipeline.process import RetryableFailure, process_raw
from intake.runtime import Runtime, set_runtime
from store import raw as raw_store
from store.models import RawItem
from tests.assignment.integration.conftest import MINUTE, FakeClock, at
from tests.conftest import ROOT, make_settings
from tests.intake.pipeline.test_pipeline import make_email

GAS = {"subject": "Hallway", "body": "There is a gas smell in the hallway."}
SQUASH = {"subject": "Squash court", "body": "The squash court has been dirty for a week."}


@pytest.fixture
def live(runtime, db, tmp_path):
    rules = tmp_path / "rules-live"
    shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns("README.md"))
    rt = Runtime(
        settings=make_settings(db, tmp_path, rules_dir=rules), db=db, clock=FakeClock(at("2026-11-30T11:00:00-05:00"))
    )
    set_runtime(rt)
    yield rt
    set_runtime(runtime)


def _store(rt, n: int, **email) -> int:
    [result] = accept(rt.db, [email_raw(make_email(message_id=f"<m{n}@example.net>", **email), "test")], enqueue=False)
    return result.raw_id


def _item(rt, raw_id):
    with rt.db.session() as session:
        return session.get(RawItem, raw_id)


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_without_a_last_good_version_items_wait_instead_of_being_quarantined(live):
    taxonomy = live.settings.rules_dir / "taxonomy.yaml"
    good = taxonomy.read_text(encoding="utf-8")
    taxonomy.write_text(good.replace("fallback: other", "fallback: [other"), encoding="utf-8")
    raw_id = _store(live, 1, **GAS)
    errors = []
    for _ in range(live.settings.pipeline.max_attempts + 2):  # more tries than a failing item gets
        try:
            process_raw(live, raw_id)
        except RetryableFailure as exc:
            errors.append(str(exc))
    item = _item(live, raw_id)
    assert (item.state, item.attempts) == (raw_store.PENDING, 0)  # not quarantined, no attempt used
    assert "rules invalid, no last good version: " in errors[-1] and "taxonomy.yaml:" in errors[-1]

    taxonomy.write_text(good, encoding="utf-8")
    process_raw(live, raw_id)
    assert _item(live, raw_id).state == raw_store.PROCESSED


def test_a_broken_classifier_edit_keeps_the_last_good_one_and_a_valid_edit_is_picked_up(live, monkeypatch):
    process_raw(live, _store(live, 1, **SQUASH))  # the classifier is loaded: a last good version exists
    taxonomy = live.settings.rules_dir / "taxonomy.yaml"
    _edit(taxonomy, "fallback: other", "fallback: [other")
    live.clock.set(live.clock() + MINUTE)
    outcome = process_raw(live, _store(live, 2, **GAS))
    assert outcome.state == raw_store.PROCESSED  # decided with the last good classifier

    monkeypatch.setenv("INTAKE_DATABASE_URL", live.db.url)
    monkeypatch.setenv("INTAKE_DATA_DIR", str(live.settings.data_dir))
    monkeypatch.setenv("INTAKE_RULES_DIR", str(live.settings.rules_dir))
    get_settings.cache_clear()
    try:
        status = CliRunner().invoke(cli, ["rules", "status"])
    finally:
        get_settings.cache_clear()
        set_runtime(live)
    assert status.exit_code == 1
    assert "classifier" in status.output and "REJECTED" in status.output
    assert f"{taxonomy}:" in status.output  # file:line:column of the mistake

    squash = ClassifyInput(body=SQUASH["body"])
    assert live.classifier().classify(squash).category != "amenity"
    _edit(taxonomy, "fallback: [other", "fallback: other")
    _edit(taxonomy, "gym, pool, rooftop,", "squash court, gym, pool, rooftop,")  # ops teach it a new term
    live.clock.set(live.clock() + MINUTE)
    assert live.classifier().classify(squash).category == "amenity"  # no restart
