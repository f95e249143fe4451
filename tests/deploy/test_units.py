"""The systemd units in deploy/ are valid for `systemd-analyze verify` (every key known, every value parsed,
the command there) and keep the supervision promises: restarted always, hardened (#18 defect 10), and the
paths they give the settings writable where intake writes."""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from intake.core.settings import PipelineSettings, Settings
from tests.conftest import ROOT

UNITS = ("intake-web.service", "intake-worker@.service", "intake-beat.service")
INSTALLED_AT = "/srv/intake/.venv/bin/intake"


def service_section(unit: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(ROOT / "deploy" / unit)
    return parser["Service"]


@pytest.mark.parametrize("unit", UNITS)
def test_each_unit_restarts_always_and_is_hardened(unit):
    service = service_section(unit)
    assert service["Restart"] == "always" and service["ExecStart"].startswith(INSTALLED_AT)
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "User": "intake",
    }.items():
        assert service[key] == value, key


def test_stopping_a_worker_signals_intake_worker_alone_and_waits_longer_than_an_item():
    service = service_section("intake-worker@.service")
    assert service["KillMode"] == "mixed"  # not every process: Dramatiq would get SIGTERM twice and kill its workers
    assert int(service["TimeoutStopSec"]) > PipelineSettings().claim_seconds  # an item's time limit


def unit_environment(unit: str) -> dict[str, str]:
    """The variables of every `Environment=` line, several assignments a line as systemd reads them (configparser
    would keep only the last line of a repeated key)."""
    text = (ROOT / "deploy" / unit).read_text(encoding="utf-8")
    lines = [line.split("=", 1)[1] for line in text.splitlines() if line.startswith("Environment=")]
    return dict(item.split("=", 1) for line in lines for item in shlex.split(line))


def is_inside(path: Path, folders: list[str]) -> bool:
    return any(path == Path(folder) or Path(folder) in path.parents for folder in folders)


@pytest.mark.parametrize("unit", UNITS)
def test_the_data_dir_a_unit_gives_is_writable_and_rules_come_from_the_install(unit, tmp_path, monkeypatch):
    service = service_section(unit)
    environment = unit_environment(unit)
    writable = service["ReadWritePaths"].split()
    # the operator's TOML as /etc/intake/intake.toml, with the example's relative paths
    config = tmp_path / "etc" / "intake" / "intake.toml"
    config.parent.mkdir(parents=True)
    config.write_text((ROOT / "intake.example.toml").read_text(encoding="utf-8"), encoding="utf-8")
    assert environment["INTAKE_CONFIG"] == "/etc/intake/intake.toml"
    for name in [name for name in os.environ if name.startswith("INTAKE_")]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("INTAKE_CONFIG", str(config))
    settings = Settings()
    assert settings.data_dir.is_absolute() and is_inside(settings.data_dir, writable), (settings.data_dir, writable)
    assert settings.rules_dir == Path(service["WorkingDirectory"]) / "rules"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_every_unit(tmp_path):
    intake = Path(sys.executable).parent / "intake"  # the command as installed here, in place of /srv/intake's
    names = []
    for unit in UNITS:
        text = (ROOT / "deploy" / unit).read_text().replace(INSTALLED_AT, str(intake))
        name = unit.replace("@.", "@1.")  # a template is verified as one of its instances
        (tmp_path / name).write_text(text)
        names.append(f"./{name}")
    result = subprocess.run(
        ["systemd-analyze", "verify", *names], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
