"""The systemd units in deploy/ are valid for `systemd-analyze verify` (every key known, every value parsed,
the command there) and keep the supervision promises: restarted always, hardened (#18 defect 10)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes", "User": "intake"}.items():
        assert service[key] == value, key


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_every_unit(tmp_path):
    intake = Path(sys.executable).parent / "intake"  # the command as installed here, in place of /srv/intake's
    names = []
    for unit in UNITS:
        text = (ROOT / "deploy" / unit).read_text().replace(INSTALLED_AT, str(intake))
        name = unit.replace("@.", "@1.")  # a template is verified as one of its instances
        (tmp_path / name).write_text(text)
        names.append(f"./{name}")
    result = subprocess.run(["systemd-analyze", "verify", *names], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
