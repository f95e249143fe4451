"""The command line as a user runs it: demo, ingest, tickets, quarantine."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from intake.cli.main import cli
from intake.config import get_settings
from tests.conftest import SAMPLES


@pytest.fixture
def cli_env(tmp_path, monkeypatch, stub_broker):
    """Run commands against a private SQLite database with the in-process broker."""
    monkeypatch.setenv("INTAKE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("INTAKE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("INTAKE_REDIS_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    yield run
    get_settings.cache_clear()


def test_demo_from_a_fresh_checkout_prints_tickets_for_the_samples(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # as a user would: nothing in the working directory but the demo's own files
    monkeypatch.delenv("INTAKE_REDIS_URL", raising=False)
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["demo", "--samples", str(SAMPLES)], catch_exceptions=False)
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert re.search(r"new tickets: (\d+)", result.output)
    assert int(re.search(r"new tickets: (\d+)", result.output).group(1)) >= 20
    assert "EML-000001" in result.output and "WA-000001" in result.output
    assert re.search(r"\d+ tickets, \d+ in the triage queue", result.output)
    assert (tmp_path / "intake-demo" / "intake.db").is_file()


def test_ingesting_the_same_folder_twice_only_counts_duplicates(cli_env):
    cli_env("registry", "import", str(SAMPLES / "registry.yaml"))
    first = cli_env("ingest", str(SAMPLES / "email"))
    second = cli_env("ingest", str(SAMPLES / "email"))
    new = int(re.search(r"new tickets: (\d+)", first).group(1))
    assert new >= 20 and "threaded replies: " in first
    assert "new tickets: 0" in second and f"duplicates: {len(list((SAMPLES / 'email').glob('*.eml')))}" in second
    tickets = json.loads(cli_env("tickets", "list", "--format", "json"))
    assert len(tickets) == new
    shown = json.loads(cli_env("tickets", "show", tickets[-1]["number"], "--format", "json"))
    assert shown["messages"] and shown["timeline"][0]["kind"] == "created"
    assert shown["classification"]["evidence"]


def test_quarantine_keeps_bad_input_and_replays_it_once_fixed(cli_env, tmp_path, monkeypatch):
    bad = tmp_path / "whatsapp" / "broken.json"
    bad.parent.mkdir()
    bad.write_text('{"object": "whatsapp_business_account", "entry": [')
    output = cli_env("ingest", str(bad))
    assert "quarantined: 1" in output
    listed = json.loads(cli_env("quarantine", "list", "--format", "json"))
    assert len(listed) == 1 and "JSON" in listed[0]["error"]
    shown = json.loads(cli_env("quarantine", "show", str(listed[0]["id"])))
    assert shown["state"] == "quarantined"
    # Still broken: a retry puts it back, it fails again, and it is kept.
    assert "1 quarantined again" in cli_env("quarantine", "retry", "--all")
