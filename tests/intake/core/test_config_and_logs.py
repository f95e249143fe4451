"""Configuration sources and precedence, masking of secrets, and log redaction."""

from __future__ import annotations

import json
import logging

from click.testing import CliRunner

from intake.core.settings import Settings, masked
from intake.logs import RedactingFilter, redact


def test_env_overrides_toml_and_nested_keys_use_double_underscore(tmp_path, monkeypatch):
    toml = tmp_path / "intake.toml"
    toml.write_text(
        'database_url = "sqlite:///from-toml.db"\n[whatsapp]\nverify_token = "toml-token"\n'
        "[pipeline]\nmax_attempts = 7\n"
    )
    monkeypatch.setenv("INTAKE_CONFIG", str(toml))
    monkeypatch.setenv("INTAKE_WHATSAPP__APP_SECRET", "s3cr3t")
    monkeypatch.setenv("INTAKE_PIPELINE__MAX_ATTEMPTS", "5")
    settings = Settings()
    assert settings.database_url == f"sqlite:///{tmp_path / 'from-toml.db'}"  # relative to the file's folder
    assert settings.whatsapp.verify_token.get_secret_value() == "toml-token"
    assert settings.whatsapp.app_secret.get_secret_value() == "s3cr3t"
    assert settings.pipeline.max_attempts == 5  # env beats the file


def test_config_show_masks_every_secret(tmp_path, monkeypatch):
    from intake.cli.main import cli
    from intake.core.settings import get_settings

    monkeypatch.setenv("INTAKE_WHATSAPP__APP_SECRET", "s3cr3t-value")
    monkeypatch.setenv("INTAKE_DATABASE_URL", "postgresql+psycopg://app:db-pass@127.0.0.1/intake")
    monkeypatch.setenv("INTAKE_REDIS_URL", "redis://:redis-pass@127.0.0.1:6379/0")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["config", "show"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    for secret in ("s3cr3t-value", "db-pass", "redis-pass"):
        assert secret not in result.output
    shown = json.loads(result.stdout)
    assert shown["whatsapp"]["app_secret"] == "***" and shown["whatsapp"]["verify_token"] is None
    assert shown["database_url"].startswith("postgresql+psycopg://app:***@")


def test_masked_walks_nested_lists():
    settings = Settings(email={"mailboxes": [{"name": "main", "host": "h", "username": "u", "password": "pw"}]})
    assert masked(settings)["email"]["mailboxes"][0]["password"] == "***"


def test_log_lines_never_carry_full_phone_numbers_or_secrets():
    text = redact("raw 12 from +15550100101 token=abcdef password: hunter2")
    assert "15550100101" not in text and "abcdef" not in text and "hunter2" not in text
    assert "+15*******01" in text
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "sender %s", ("+4915112345678",), None)
    RedactingFilter().filter(record)
    assert "4915112345678" not in record.getMessage()


def test_a_dramatiq_worker_process_logs_through_redaction_and_at_our_level(tmp_path):
    """`intake worker` execs the dramatiq command line, which sets up its own handlers (at INFO) before
    importing us."""
    import os
    import subprocess
    import sys

    script = (
        "import logging, sys; logging.basicConfig(stream=sys.stdout, format='%(message)s', level=logging.INFO); "
        "import intake.actors; log = logging.getLogger('intake.pipeline'); "
        "log.warning('raw 7 from +15550100101 token=s3cr3t'); log.info('raw 8 processed')"
    )
    env = os.environ | {"INTAKE_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", "INTAKE_LOG_LEVEL": "WARNING"}
    env.pop("INTAKE_REDIS_URL", None)
    output = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "raw 7 from +15" in output
    assert "15550100101" not in output and "s3cr3t" not in output
    assert "raw 8" not in output  # INTAKE_LOG_LEVEL=WARNING holds in the worker too
