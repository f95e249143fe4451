"""intake.example.toml documents every setting the model has, and nothing it does not; `config show` names the
settings nothing reads yet and warns about a WAHA webhook without a signature key."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from intake.core.config_paths import list_model_of, model_of
from intake.core.settings import NOT_USED_YET, Settings, get_settings

EXAMPLE = Path(__file__).resolve().parents[3] / "intake.example.toml"
# A commented-out key (`# smtp_password = "…"`) or table (`# [[email.mailboxes]]`) counts as documented.
COMMENTED_KEY = re.compile(r"^#\s?(?=\[|[A-Za-z_]\w*\s*=)")


def model_keys(model, prefix: str = "", secrets_only: bool = False) -> set[str]:
    """Every leaf setting (or every SecretStr one) as a dotted key; a list of tables (email.mailboxes)
    contributes its items' keys."""
    keys = set()
    for name, field in model.model_fields.items():
        sub = model_of(field.annotation) or list_model_of(field.annotation)
        if sub:
            keys |= model_keys(sub, f"{prefix}{name}.", secrets_only)
        elif not secrets_only or "SecretStr" in str(field.annotation):
            keys.add(prefix + name)
    return keys


def documented_keys(data: dict, prefix: str = "") -> set[str]:
    keys = set()
    for name, value in data.items():
        if isinstance(value, dict):
            keys |= documented_keys(value, f"{prefix}{name}.")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                keys |= documented_keys(item, f"{prefix}{name}.")
        else:
            keys.add(prefix + name)
    return keys


def uncommented(text: str) -> str:
    return "\n".join(COMMENTED_KEY.sub("", line) for line in text.splitlines())


def test_every_setting_is_documented_in_the_example():
    documented = documented_keys(tomllib.loads(uncommented(EXAMPLE.read_text())))
    assert model_keys(Settings) - documented == set()


def test_the_example_documents_no_setting_the_model_does_not_know():
    documented = documented_keys(tomllib.loads(uncommented(EXAMPLE.read_text())))
    assert documented - model_keys(Settings) == set()


def test_the_example_is_valid_as_it_is_and_with_every_key_uncommented(tmp_path, monkeypatch):
    full = tmp_path / "intake.toml"
    full.write_text(uncommented(EXAMPLE.read_text()))
    for path in (EXAMPLE, full):
        monkeypatch.setenv("INTAKE_CONFIG", str(path))
        Settings()


def test_secrets_are_only_commented_out_in_the_example_with_their_environment_variable():
    secret_keys = model_keys(Settings, secrets_only=True)
    assert "waha.api_key" in secret_keys and "email.smtp_password" in secret_keys
    live = documented_keys(tomllib.loads(EXAMPLE.read_text()))
    assert secret_keys & live == set()
    for key in secret_keys - {"email.mailboxes.password"}:
        assert f"INTAKE_{key.replace('.', '__').upper()}" in EXAMPLE.read_text(), key


def test_the_not_used_yet_set_names_real_settings():
    assert NOT_USED_YET <= model_keys(Settings)


@pytest.fixture
def config_show(monkeypatch, tmp_path):
    from intake.cli.main import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTAKE_CONFIG", raising=False)

    def run(**env: str):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli, ["config", "show"])
        finally:
            get_settings.cache_clear()

    return run


def test_config_show_marks_the_settings_not_used_yet_apart_from_the_json(config_show):
    result = config_show(INTAKE_WAHA__HMAC_KEY="k")
    assert result.exit_code == 0
    json.loads(result.stdout)  # still plain JSON on standard output
    for key in ("timezone", "whatsapp.phone_number_id", "waha.session", "web.session_secret"):
        assert f"note: {key} is not used yet" in result.stderr
    assert "warning" not in result.stderr


def test_config_show_warns_when_waha_deliveries_are_refused_or_accepted_unsigned(config_show):
    assert "waha.hmac_key is not set: the WAHA webhook refuses deliveries (503)" in config_show().stderr
    result = config_show(INTAKE_WAHA__ALLOW_UNSIGNED="true")
    assert "waha.allow_unsigned = true and no waha.hmac_key" in result.stderr
