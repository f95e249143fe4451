"""Relative paths in the configuration: the TOML file's folder for what it sets, the current folder otherwise;
and the real CLI, run from another folder, finds its rules, data and database, or says in one line what is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from intake.core.settings import Settings

PROJECT = Path(__file__).resolve().parents[3]
SAMPLE_MAIL = sorted((PROJECT / "samples" / "email").glob("*.eml"))[0]


def run_cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """The real `intake` command in a subprocess, with none of the caller's INTAKE_ settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")} | env
    return subprocess.run(
        [sys.executable, "-m", "intake.cli.main", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_relative_paths_in_the_file_follow_the_file_and_the_environment_follows_the_current_folder(
    tmp_path, monkeypatch
):
    config = tmp_path / "etc" / "intake.toml"
    config.parent.mkdir()
    config.write_text(
        'data_dir = "var/data"\ndatabase_url = "sqlite:///var/intake.db"\n'
        '[qcontact]\nmapping_file = "qc.yaml"\n'
        '[[email.mailboxes]]\nname = "main"\nhost = "h"\nusername = "u"\nca_file = "/pki/ca.pem"\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("INTAKE_CONFIG", str(config))
    monkeypatch.setenv("INTAKE_REGISTRY_FILE", "registry.yaml")
    settings = Settings()
    assert settings.data_dir == config.parent / "var" / "data"
    assert settings.rules_dir == config.parent / "rules"  # a default follows the file in use too
    assert settings.database_url == f"sqlite:///{config.parent / 'var' / 'intake.db'}"
    assert settings.qcontact.mapping_file == config.parent / "qc.yaml"
    assert settings.email.mailboxes[0].ca_file == Path("/pki/ca.pem")  # absolute: untouched
    assert settings.registry_file == Path("registry.yaml")  # from the environment: the current folder's


def test_without_a_file_the_defaults_are_relative_to_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTAKE_CONFIG", raising=False)
    settings = Settings()
    assert settings.rules_dir == Path("rules") and settings.database_url == "sqlite:///intake.db"


def test_other_database_urls_are_left_alone(tmp_path, monkeypatch):
    config = tmp_path / "intake.toml"
    config.write_text('database_url = "postgresql+psycopg://app@db/intake"\n')
    monkeypatch.setenv("INTAKE_CONFIG", str(config))
    assert Settings().database_url == "postgresql+psycopg://app@db/intake"
    config.write_text('database_url = "sqlite:///:memory:"\n')
    assert Settings().database_url == "sqlite:///:memory:"


@pytest.mark.slow  # `intake` commands as real processes
def test_ingest_from_another_folder_uses_the_files_rules_data_and_database(tmp_path):
    home = tmp_path / "srv"
    shutil.copytree(PROJECT / "rules", home / "rules")
    config = home / "intake.toml"
    config.write_text('database_url = "sqlite:///intake.db"\ndata_dir = "data"\nrules_dir = "rules"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli(["--config", str(config), "ingest", str(SAMPLE_MAIL)], cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert "new tickets: 1" in result.stdout
    assert (home / "intake.db").is_file() and list(elsewhere.iterdir()) == []
    shown = run_cli(["--config", str(config), "tickets", "list", "--format", "json"], cwd=elsewhere)
    assert '"number": "EML-000001"' in shown.stdout


def test_a_missing_rules_folder_is_one_line_naming_the_path_and_the_setting(tmp_path):
    result = run_cli(["ingest", str(SAMPLE_MAIL)], cwd=tmp_path, INTAKE_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"rules folder {tmp_path / 'rules'} does not exist" in line and "rules_dir" in line
    assert not (tmp_path / "x.db").exists()  # it stopped before touching anything


def test_a_missing_rules_folder_named_in_the_file_is_reported_under_the_files_folder(tmp_path):
    config = tmp_path / "etc" / "intake.toml"
    config.parent.mkdir()
    config.write_text('rules_dir = "my-rules"\n')
    result = run_cli(["--config", str(config), "ingest", str(SAMPLE_MAIL)], cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"rules folder {config.parent / 'my-rules'} does not exist (setting rules_dir)" in result.stderr
