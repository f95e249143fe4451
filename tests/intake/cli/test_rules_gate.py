"""Commands that store and process mail refuse to start on broken rules (no last good version in a one-off
command): every problem as file:line:column, exit code 1, and nothing stored."""

from __future__ import annotations

import re
import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select

from intake.cli.main import cli
from intake.core.settings import get_settings
from store.models import RawItem
from tests.conftest import ROOT, SAMPLES


@pytest.fixture
def broken_env(tmp_path, monkeypatch, stub_broker):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    taxonomy = rules / "taxonomy.yaml"
    taxonomy.write_text(
        taxonomy.read_text(encoding="utf-8").replace("fallback: other", "fallback: [other"), encoding="utf-8"
    )
    database = tmp_path / "cli.db"
    monkeypatch.setenv("INTAKE_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("INTAKE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INTAKE_RULES_DIR", str(rules))
    monkeypatch.delenv("INTAKE_REDIS_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["registry", "import", str(SAMPLES / "registry.yaml")]).exit_code == 0
    )  # makes the database
    yield runner, database, taxonomy
    get_settings.cache_clear()


def _raw_items(database) -> int:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(RawItem)).scalar_one()
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "args",
    [
        ["ingest", str(SAMPLES / "email")],
        ["tickets", "create", "--by", "ana", "--requester", "maria@example.net", "--text", "There is a gas smell"],
    ],
)
def test_a_command_refuses_to_start_on_broken_rules_and_stores_nothing(broken_env, args):
    runner, database, taxonomy = broken_env
    result = runner.invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert re.search(rf"{re.escape(str(taxonomy))}:\d+:\d+: YAML error", result.output), result.output
    assert _raw_items(database) == 0


def test_the_demo_refuses_before_it_empties_its_folder(broken_env, tmp_path):
    runner, _, _ = broken_env
    workdir = tmp_path / "demo"
    result = runner.invoke(cli, ["demo", "--workdir", str(workdir)])
    assert result.exit_code == 1 and "taxonomy.yaml:" in result.output
    assert not (workdir / "intake.db").exists()
