"""Fixtures for the IMAP poller tests: a private Dovecot account, its mailbox settings, and store helpers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intake.core.settings import MailboxSettings
from intake.runtime import Runtime
from store.db import Database
from store.models import RawItem
from tests.conftest import make_settings
from tests.dovecot import (  # noqa: F401  (fixtures)
    Dovecot,
    basic_dovecot,
    dovecot,
    dovecot_server,
    imap_account,
    own_dovecot,
    tls_dovecot,
)
from tests.waits import log_lines

TENANT_PROBLEMS = [
    "The kitchen tap drips all night",
    "No hot water since this morning",
    "The front door lock sticks",
    "Mould is spreading behind the wardrobe",
    "The bathroom fan rattles",
    "A window will not close",
]


def tenant_mail(n: int, *, message_id: bool = True, padding: int = 0) -> bytes:
    """A tenant's plain-text mail with CRLF line ends (what IMAP hands back byte for byte)."""
    problem = TENANT_PROBLEMS[n % len(TENANT_PROBLEMS)]
    lines = [
        f"From: Tenant {n} <tenant{n}@example.org>",
        "To: maintenance@intake.example",
        f"Subject: {problem} (flat {100 + n})",
        "Date: Sun, 22 Nov 2026 09:00:00 +0000",
    ]
    if message_id:
        lines.append(f"Message-ID: <mail-{n}@tenants.example.org>")
    lines += [
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        f"Hello, {problem.lower()} in flat {100 + n}. Could someone come by?",
        "Thanks, Tenant " + str(n),
    ]
    lines += ["x" * 76 for _ in range(padding // 78)]
    return ("\r\n".join(lines) + "\r\n").encode()


def stored(db: Database) -> list[RawItem]:
    with db.session() as session:
        return list(session.execute(select(RawItem).where(RawItem.channel == "email").order_by(RawItem.id)).scalars())


def server_flags(dovecot: Dovecot, user: str, folder: str = "INBOX") -> dict[int, set[bytes]]:
    client = dovecot.client(user)
    try:
        client.select_folder(folder, readonly=True)
        return {uid: set(data[b"FLAGS"]) for uid, data in client.fetch(client.search(), ["FLAGS"]).items()}
    finally:
        client.logout()


def append(dovecot: Dovecot, user: str, mails: list[bytes], folder: str = "INBOX") -> None:
    client = dovecot.client(user)
    try:
        if not client.folder_exists(folder):
            client.create_folder(folder)
        for mail in mails:
            client.append(folder, mail)
    finally:
        client.logout()


@pytest.fixture
def mailbox(dovecot, imap_account) -> MailboxSettings:
    """Settings for the test account's INBOX, plain IMAP on loopback (tests copy it with changes)."""
    user, password = imap_account
    return MailboxSettings(
        name="tenants",
        host=dovecot.host,
        port=dovecot.port,
        security="none",
        username=user,
        password=password,
        poll_interval_seconds=1,
        reconnect_max_seconds=1,
        timeout_seconds=10,
    )


@pytest.fixture
def imap_runtime(db, tmp_path, stub_broker):
    """A runtime on the test database, with the in-process broker receiving the enqueued work."""
    return Runtime(settings=make_settings(db, tmp_path), db=db)


def changed(mailbox: MailboxSettings, **changes) -> MailboxSettings:
    """A copy with changes, validated like configuration (model_copy would skip validation)."""
    return MailboxSettings.model_validate(mailbox.model_dump() | changes)


@pytest.fixture
def poller_log():
    """Every log line of the email channel, debug ones included: the poller thread's steps, as events to wait on."""
    with log_lines("intake.channels.email") as lines:
        yield lines


def folder_bodies(dovecot: Dovecot, user: str, folder: str) -> list[bytes]:
    client = dovecot.client(user)
    try:
        client.select_folder(folder, readonly=True)
        return sorted(data[b"BODY[]"] for data in client.fetch(client.search(), ["BODY.PEEK[]"]).values())
    finally:
        client.logout()
