"""Mailbox settings fail at load time, naming the mailbox; reconnect delays grow, capped and jittered."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from intake.channels.email.imap import backoff_delay
from intake.core.settings import Settings

BASE = {"name": "tenants", "host": "imap.example.org", "username": "maintenance"}


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"after_store": "move"}, "mailbox tenants: after_store = move needs move_to"),
        ({"after_store": "delete"}, "mailbox tenants: after_store must be seen or move, not 'delete'"),
        ({"security": "tls"}, "mailbox tenants: security must be ssl, starttls or none, not 'tls'"),
        ({"idle_timeout_seconds": 30 * 60}, "less than or equal to 1740"),
        ({"name": "two words"}, "String should match pattern"),
    ],
)
def test_a_bad_mailbox_is_refused_when_the_settings_load(changes, message):
    with pytest.raises(ValidationError, match=message):
        Settings(email={"mailboxes": [BASE | changes]})


def test_two_mailboxes_may_not_share_a_name():
    with pytest.raises(ValidationError, match="mailbox names must be unique; repeated: tenants"):
        Settings(email={"mailboxes": [BASE, BASE | {"folder": "Other"}]})


def test_reconnect_delays_double_up_to_the_cap_with_jitter():
    for failures, full in [(1, 1), (2, 2), (3, 4), (6, 32), (9, 256), (12, 300), (40, 300)]:
        delays = [backoff_delay(failures, cap=300) for _ in range(200)]
        assert all(full / 2 <= d <= full for d in delays)
        assert max(delays) - min(delays) > full / 10  # jittered: many pollers do not reconnect in lockstep


def test_a_missing_dovecot_skips_with_the_reason_but_fails_under_ci(monkeypatch):
    from tests import dovecot

    monkeypatch.setattr(dovecot, "dovecot_binary", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="dovecot is not installed .*install-dovecot"):
        dovecot.require_dovecot()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="dovecot is not installed"):
        dovecot.require_dovecot()
