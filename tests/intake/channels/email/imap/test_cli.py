"""`intake imap poll --once` as cron runs it: a mail APPENDed to Dovecot ends up as a ticket."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from intake.cli.main import cli
from intake.core.settings import get_settings
from tests.conftest import ROOT, SAMPLES
from tests.intake.channels.email.imap.conftest import append, server_flags, tenant_mail
from tests.servers import free_port


@pytest.fixture
def imap_cli(tmp_path, monkeypatch, stub_broker, dovecot, imap_account):
    """The CLI with a config file naming two mailboxes: the test account, and one whose server is down."""
    user, password = imap_account
    config = tmp_path / "intake.toml"
    config.write_text(f"""
database_url = "sqlite:///{tmp_path / "cli.db"}"
data_dir = "{tmp_path / "data"}"
rules_dir = "{ROOT / "rules"}"

[[email.mailboxes]]
name = "tenants"
host = "{dovecot.host}"
port = {dovecot.port}
security = "none"
username = "{user}"
password_env = "TEST_TENANTS_IMAP_PASSWORD"

[[email.mailboxes]]
name = "down"
host = "127.0.0.1"
port = {free_port()}
security = "none"
username = "nobody"
password = "irrelevant"
timeout_seconds = 5
""")
    monkeypatch.setenv("INTAKE_CONFIG", str(config))
    monkeypatch.setenv("TEST_TENANTS_IMAP_PASSWORD", password)
    monkeypatch.delenv("INTAKE_REDIS_URL", raising=False)
    monkeypatch.delenv("INTAKE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)
    get_settings.cache_clear()


def test_poll_once_stores_processes_and_marks_and_reports_per_mailbox(imap_cli, dovecot, imap_account):
    user, _ = imap_account
    assert imap_cli("registry", "import", str(SAMPLES / "registry.yaml")).exit_code == 0
    append(dovecot, user, [tenant_mail(n) for n in range(2)])

    first = imap_cli("imap", "poll", "--once", "--mailbox", "tenants")

    assert first.exit_code == 0, first.output
    assert "tenants: 2 fetched, 2 stored, 0 duplicates, 0 quarantined, 2 marked; last UID 2" in first.output
    assert all(b"\\Seen" in flags for flags in server_flags(dovecot, user).values())
    tickets = json.loads(imap_cli("tickets", "list", "--format", "json").output)
    assert sorted(t["subject"] for t in tickets) == sorted(
        tenant_mail(n).split(b"Subject: ")[1].split(b"\r\n")[0].decode() for n in range(2)
    )

    append(dovecot, user, [tenant_mail(1)])  # the same mail again (a resend): stored once, marked anyway
    both = imap_cli("imap", "poll", "--once", "--json")
    assert both.exit_code == 1  # "down" could not be polled; cron sees the failure
    lines = [json.loads(line) for line in both.stdout.splitlines() if line.startswith("{")]
    assert [(r["mailbox"], r["fetched"], r["stored"], r["duplicates"]) for r in lines] == [("tenants", 1, 0, 1)]
    assert "down: " in both.stderr and "ConnectionRefusedError" in both.stderr
    assert len(json.loads(imap_cli("tickets", "list", "--format", "json").output)) == 2

    status = imap_cli("imap", "status").output
    assert f"tenants: {user}@127.0.0.1:{dovecot.port} 'INBOX': UIDVALIDITY " in status and "last UID 3" in status
    assert "down: nobody@127.0.0.1" in status and "never polled" in status


def test_an_unknown_mailbox_name_is_refused_with_the_configured_ones(imap_cli):
    result = imap_cli("imap", "poll", "--once", "--mailbox", "typo")
    assert result.exit_code != 0 and "unknown mailbox typo; configured: tenants, down" in result.output
