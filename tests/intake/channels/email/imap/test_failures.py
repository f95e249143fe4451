"""The server going away: mid-fetch, between storing and marking, and under the long-running loop."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from intake.channels.email.imap import poll_once, run_mailbox
from intake.channels.email.imap_session import is_connection_error
from intake.channels.email.imap_state import read_position
from tests.intake.channels.email.imap.conftest import (
    append,
    changed,
    folder_bodies,
    server_flags,
    stored,
    tenant_mail,
)
from tests.intake.channels.email.imap.proxy import CuttingProxy

SEEN = b"\\Seen"


@pytest.fixture
def proxy(dovecot):
    cutting = CuttingProxy(dovecot.host, dovecot.port)
    yield cutting
    cutting.close()


def _all_seen(dovecot, user) -> bool:
    flags = server_flags(dovecot, user)
    return bool(flags) and all(SEEN in f for f in flags.values())


def test_a_connection_cut_mid_fetch_loses_nothing_and_duplicates_nothing(dovecot, mailbox, proxy, imap_runtime, db):
    mails = [tenant_mail(n, padding=2_000) for n in range(6)]
    append(dovecot, mailbox.username, mails)
    mailbox = changed(mailbox, port=proxy.port, batch_size=2)
    proxy.cut_after_bytes = 7_000  # past the first batch of two bodies, inside the second

    with pytest.raises(Exception) as cut:
        poll_once(imap_runtime, mailbox)
    assert is_connection_error(cut.value) and proxy.cuts == 1
    first = len(stored(db))
    assert 0 < first < 6
    flags = server_flags(dovecot, mailbox.username)
    assert sum(SEEN in f for f in flags.values()) == first  # exactly the committed ones are marked

    second = poll_once(imap_runtime, mailbox)

    assert (second.stored, second.duplicates) == (6 - first, 0)
    assert sorted(item.payload for item in stored(db)) == sorted(mails)
    assert _all_seen(dovecot, mailbox.username)
    assert read_position(db, "tenants").last_uid == 6


def test_a_cut_after_the_commit_but_before_the_flag_is_marked_on_the_next_pass(
    dovecot, mailbox, proxy, imap_runtime, db
):
    append(dovecot, mailbox.username, [tenant_mail(n) for n in range(3)])
    mailbox = changed(mailbox, port=proxy.port)
    proxy.cut_on_command = b"UID STORE"  # the server vanishes as we send the \Seen flags

    with pytest.raises(Exception) as cut:
        poll_once(imap_runtime, mailbox)

    assert is_connection_error(cut.value) and proxy.cuts == 1
    assert len(stored(db)) == 3
    assert not any(SEEN in f for f in server_flags(dovecot, mailbox.username).values())
    position = read_position(db, "tenants")
    assert (position.last_uid, position.unmarked) == (3, [1, 2, 3])

    again = poll_once(imap_runtime, mailbox)

    assert (again.fetched, again.stored, again.marked) == (0, 0, 3)
    assert _all_seen(dovecot, mailbox.username) and read_position(db, "tenants").unmarked == []


async def test_the_loop_idles_reconnects_after_a_server_restart_and_stops_when_cancelled(
    own_dovecot, mailbox, imap_runtime, db, caplog, poller_log
):
    # Each step waits for the poller's own log line (an event), so the server is always cut under an idling
    # connection, whatever the machine's load.
    caplog.set_level(logging.DEBUG, logger="intake.channels.email")
    user, password = own_dovecot.add_user()
    mailbox = changed(mailbox, port=own_dovecot.port, username=user, password=password)
    task = asyncio.create_task(run_mailbox(imap_runtime, mailbox))
    await poller_log.wait_for_async(": idling")  # the first pass is done and the server accepted IDLE

    append(own_dovecot, user, [tenant_mail(0)])  # IDLE reports it: no poll interval to wait out
    await poller_log.wait_for_async("1 stored, 0 duplicates, 0 quarantined, 1 marked; last UID 1")
    await poller_log.wait_for_async(": idling", count=2)
    assert len(stored(db)) == 1 and _all_seen(own_dovecot, user)
    own_dovecot.stop()  # the server goes away under the idling connection, then comes back
    own_dovecot.start()
    append(own_dovecot, user, [tenant_mail(1)])  # while the poller waits to reconnect, or just after
    await poller_log.wait_for_async("reconnecting in")
    await poller_log.wait_for_async("marked; last UID 2")  # the pass that stored and marked it
    assert len(stored(db)) == 2 and _all_seen(own_dovecot, user)

    [thread] = [t for t in threading.enumerate() if t.name == "imap:tenants"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.to_thread(thread.join, 60)
    assert not thread.is_alive()
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("intake.channels.email")]
    assert ours and all(message.startswith("tenants: ") for message in ours)
    assert password not in caplog.text


async def test_without_idle_the_loop_polls_at_the_interval(dovecot, mailbox, imap_runtime, db, poller_log):
    mailbox = changed(mailbox, use_idle=False, poll_interval_seconds=1)
    task = asyncio.create_task(run_mailbox(imap_runtime, mailbox))
    try:
        append(dovecot, mailbox.username, [tenant_mail(n) for n in range(2)])
        await poller_log.wait_for_async("marked; last UID 2", timeout=20)  # two mails by polling
        assert len(stored(db)) == 2 and _all_seen(dovecot, mailbox.username)  # both mails flagged
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_server_without_idle_or_move_is_polled_and_stored_mail_is_copied_and_flagged(
    basic_dovecot, mailbox, imap_runtime, db, caplog, poller_log
):
    caplog.set_level(logging.INFO, logger="intake.channels.email")
    user, password = basic_dovecot.add_user()
    mailbox = changed(
        mailbox,
        port=basic_dovecot.port,
        username=user,
        password=password,
        after_store="move",
        move_to="Processed",
        poll_interval_seconds=1,
    )
    mails = [tenant_mail(n) for n in range(2)]
    append(basic_dovecot, user, mails[:1])
    append(basic_dovecot, user, [], folder="Processed")
    task = asyncio.create_task(run_mailbox(imap_runtime, mailbox))
    try:
        await poller_log.wait_for_async("marked; last UID 1", timeout=20)
        assert len(stored(db)) == 1  # the first mail
        append(basic_dovecot, user, mails[1:])
        await poller_log.wait_for_async("marked; last UID 2", timeout=20)  # the second mail, at the next poll
        assert len(stored(db)) == 2 and _all_seen(basic_dovecot, user)  # both mails flagged
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert "polling every 1 s" in caplog.text
    # without MOVE: copied to Processed and flagged \Seen in the INBOX, never deleted from it
    assert folder_bodies(basic_dovecot, user, "Processed") == folder_bodies(basic_dovecot, user, "INBOX") == mails
