"""The command line's structure: commands are imported only when they run, `--help` lists them from the tables
without importing them, and a configuration that cannot be read is a clear error, not a traceback."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from intake.cli.lazy import LazyGroup
from intake.cli.main import cli
from intake.core.settings import get_settings


def _lazy_groups(group: LazyGroup, path: str = "intake"):
    yield path, group
    for name, entry in group.lazy.items():
        command = entry.load()
        if isinstance(command, LazyGroup):
            yield from _lazy_groups(command, f"{path} {name}")


def test_each_table_row_names_its_command_and_its_help():
    for path, group in _lazy_groups(cli):
        for name, entry in group.lazy.items():
            command = entry.load()
            assert command.name == name, f"{path} {name}: {entry.target} is named {command.name!r}"
            stand_in = click.Command(name, help=entry.help)
            for width in (30, 45, 80, 1000):  # the short help `--help` shows is the same at every width
                assert stand_in.get_short_help_str(width) == command.get_short_help_str(width), f"{path} {name}"


def test_help_imports_no_command_and_no_heavy_library():
    probe = (
        "import sys\n"
        "from intake.cli.main import cli\n"
        "try:\n"
        "    cli(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = [m for m in sys.modules if m.startswith('intake.cli.') and m not in ('intake.cli.main', 'intake.cli.lazy')]\n"
        "heavy = [m for m in ('spacy', 'sqlalchemy', 'dramatiq', 'aiohttp', 'pydantic_settings') if m in sys.modules]\n"
        "print(loaded, heavy, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert "beat" in result.stdout and "worker" in result.stdout
    assert result.stderr.strip() == "[] []"


@pytest.fixture
def fresh_settings():
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_missing_config_file_is_a_usage_error(tmp_path, fresh_settings):
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "missing.toml"), "tickets", "list"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "Invalid value for '--config'" in result.output and "missing.toml' does not exist" in result.output


def test_a_missing_file_named_by_intake_config_is_a_usage_error(tmp_path, monkeypatch, fresh_settings):
    monkeypatch.setenv("INTAKE_CONFIG", str(tmp_path / "missing.toml"))
    result = CliRunner().invoke(cli, ["config", "show"])
    assert result.exit_code == 2
    assert (
        result.output.splitlines()[-1]
        == f"Error: INTAKE_CONFIG names {tmp_path / 'missing.toml'}, which does not exist"
    )


def test_a_config_file_that_is_not_toml_is_one_line(tmp_path, monkeypatch, fresh_settings):
    config = tmp_path / "intake.toml"
    config.write_text("log_level = [\n")
    monkeypatch.setenv("INTAKE_CONFIG", str(config))
    result = CliRunner().invoke(cli, ["--config", str(config), "config", "show"])
    assert result.exit_code == 1
    (line,) = result.output.splitlines()
    assert line.startswith(f"Error: {config}: not valid TOML: ")


def test_a_refused_setting_is_named(tmp_path, monkeypatch, fresh_settings):
    config = tmp_path / "intake.toml"
    config.write_text('limits = "none"\n')
    monkeypatch.setenv("INTAKE_CONFIG", str(config))
    result = CliRunner().invoke(cli, ["config", "show"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("Error: invalid configuration: 1 validation error for Settings\nlimits\n")
