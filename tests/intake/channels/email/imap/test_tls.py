"""Implicit TLS and STARTTLS against Dovecot with a self-signed certificate: verified, or nothing is sent."""

from __future__ import annotations

import ssl

import pytest

from intake.channels.email.imap import poll_once
from intake.core.settings import MailboxSettings
from intake.runtime import Runtime
from tests.conftest import make_settings
from tests.intake.channels.email.imap.conftest import append, changed, stored, tenant_mail


def test_ssl_and_starttls_connect_only_to_a_trusted_certificate(tls_dovecot, sqlite_db, tmp_path, stub_broker):
    runtime = Runtime(settings=make_settings(sqlite_db, tmp_path), db=sqlite_db)
    user, password = tls_dovecot.add_user()
    trusted = MailboxSettings(
        name="tenants",
        host=tls_dovecot.host,
        port=tls_dovecot.tls_port,
        security="ssl",
        username=user,
        password=password,
        ca_file=tls_dovecot.certificate,
        timeout_seconds=10,
    )
    starttls = changed(trusted, port=tls_dovecot.port, security="starttls")

    append(tls_dovecot, user, [tenant_mail(0)])
    assert poll_once(runtime, trusted).stored == 1
    append(tls_dovecot, user, [tenant_mail(1)])
    assert poll_once(runtime, starttls).stored == 1

    append(tls_dovecot, user, [tenant_mail(2)])
    for untrusted in (changed(trusted, ca_file=None), changed(starttls, ca_file=None)):  # the system CAs only
        with pytest.raises(ssl.SSLCertVerificationError):
            poll_once(runtime, untrusted)
    assert len(stored(sqlite_db)) == 2
