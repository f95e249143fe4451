"""One pass of the IMAP poller against a real Dovecot: store, dedupe, resume, resynchronise, mark or move."""

from __future__ import annotations

import pytest

from intake.channels.email.files import email_raw
from intake.channels.email.imap import MailboxError, poll_once
from intake.channels.email.imap_session import is_connection_error
from intake.channels.email.imap_state import read_position, record_stored
from intake.ingest import accept
from store.db import Database
from tests.intake.channels.email.imap.conftest import append, changed, folder_bodies, server_flags, stored, tenant_mail

SEEN = b"\\Seen"


def test_new_mail_is_stored_byte_for_byte_and_flagged_seen_only_after(dovecot, mailbox, imap_runtime, db):
    mails = [tenant_mail(n) for n in range(3)]
    append(dovecot, mailbox.username, mails)

    result = poll_once(imap_runtime, mailbox)

    assert (result.fetched, result.stored, result.duplicates, result.quarantined, result.marked) == (3, 3, 0, 0, 3)
    items = stored(db)
    assert [item.payload for item in items] == mails
    assert [item.channel_id for item in items] == [f"<mail-{n}@tenants.example.org>" for n in range(3)]
    assert {item.source for item in items} == {"imap:tenants"} and {item.state for item in items} == {"pending"}
    assert all(SEEN in flags for flags in server_flags(dovecot, mailbox.username).values())
    position = read_position(db, "tenants")
    assert (position.uidvalidity, position.last_uid, position.unmarked) == (result.uidvalidity, 3, [])


def test_a_restart_resumes_after_the_last_stored_uid_without_duplicates(dovecot, mailbox, imap_runtime, db):
    append(dovecot, mailbox.username, [tenant_mail(n) for n in range(2)])
    poll_once(imap_runtime, mailbox)
    # a human marks a handled mail unread again: UID-based polling must not take it as new
    client = dovecot.client(mailbox.username)
    client.select_folder("INBOX")
    client.remove_flags([1], [SEEN])
    client.logout()
    append(dovecot, mailbox.username, [tenant_mail(n) for n in range(2, 4)])

    restarted = imap_runtime.__class__(settings=imap_runtime.settings, db=Database(db.url))  # a new process
    result = poll_once(restarted, mailbox)
    restarted.db.dispose()

    assert (result.fetched, result.stored, result.duplicates, result.last_uid) == (2, 2, 0, 4)
    assert [item.channel_id for item in stored(db)] == [f"<mail-{n}@tenants.example.org>" for n in range(4)]
    assert poll_once(imap_runtime, mailbox).fetched == 0


def test_mail_already_stored_by_another_path_is_a_duplicate_but_still_marked(dovecot, mailbox, imap_runtime, db):
    no_id = tenant_mail(7, message_id=False)
    accept(db, [email_raw(tenant_mail(1), "file:earlier.eml"), email_raw(no_id, "file:no-id.eml")], enqueue=False)
    append(dovecot, mailbox.username, [tenant_mail(1), no_id, tenant_mail(2)])

    result = poll_once(imap_runtime, mailbox)

    assert (result.fetched, result.stored, result.duplicates, result.marked) == (3, 1, 2, 3)
    assert len(stored(db)) == 3 and stored(db)[1].channel_id.startswith("sha256:")
    assert all(SEEN in flags for flags in server_flags(dovecot, mailbox.username).values())


def test_a_uidvalidity_change_resynchronises_the_folder_without_duplicating(dovecot, mailbox, imap_runtime, db):
    mailbox = changed(mailbox, folder="Tenants")
    append(dovecot, mailbox.username, [tenant_mail(n) for n in range(2)], folder="Tenants")
    first = poll_once(imap_runtime, mailbox)
    # the folder is deleted and recreated (a restore, a migration): same mails, new UIDs, new UIDVALIDITY
    client = dovecot.client(mailbox.username)
    client.delete_folder("Tenants")
    client.logout()
    append(dovecot, mailbox.username, [tenant_mail(n) for n in range(3)], folder="Tenants")

    second = poll_once(imap_runtime, mailbox)

    assert second.uidvalidity != first.uidvalidity and second.resynced
    assert (second.fetched, second.stored, second.duplicates, second.marked) == (3, 1, 2, 3)
    assert len(stored(db)) == 3
    assert all(SEEN in flags for flags in server_flags(dovecot, mailbox.username, "Tenants").values())
    assert read_position(db, "tenants").uidvalidity == second.uidvalidity


def test_move_after_store_moves_stored_mail_and_never_deletes(dovecot, mailbox, imap_runtime, db):
    mailbox = changed(mailbox, after_store="move", move_to="Processed")
    mails = [tenant_mail(n) for n in range(3)]
    append(dovecot, mailbox.username, mails)
    append(dovecot, mailbox.username, [], folder="Processed")

    result = poll_once(imap_runtime, mailbox)

    assert (result.stored, result.marked) == (3, 3)
    assert server_flags(dovecot, mailbox.username) == {}
    assert folder_bodies(dovecot, mailbox.username, "Processed") == sorted(mails)


def test_a_refused_mark_is_retried_on_the_next_pass(dovecot, mailbox, imap_runtime, db):
    mailbox = changed(mailbox, after_store="move", move_to="Not Yet Created")
    append(dovecot, mailbox.username, [tenant_mail(n) for n in range(2)])

    first = poll_once(imap_runtime, mailbox)  # MOVE to a missing folder: NO [TRYCREATE]

    assert (first.stored, first.marked) == (2, 0)
    assert read_position(db, "tenants").unmarked == [1, 2]
    append(dovecot, mailbox.username, [], folder="Not Yet Created")
    second = poll_once(imap_runtime, mailbox)
    assert (second.fetched, second.marked) == (0, 2)
    assert read_position(db, "tenants").unmarked == [] and server_flags(dovecot, mailbox.username) == {}


def test_an_oversized_mail_is_quarantined_with_its_header_only(dovecot, mailbox, imap_runtime, db):
    imap_runtime.settings.limits.raw_max_bytes = 4_000
    big = tenant_mail(1, padding=20_000)
    append(dovecot, mailbox.username, [tenant_mail(0), big, tenant_mail(2)])

    result = poll_once(imap_runtime, mailbox)

    assert (result.fetched, result.stored, result.quarantined, result.marked) == (2, 2, 1, 3)
    items = {item.channel_id: item for item in stored(db)}
    kept = items["<mail-1@tenants.example.org>"]
    assert kept.state == "quarantined" and "over limits.raw_max_bytes = 4,000" in kept.error
    assert kept.payload == big.split(b"\r\n\r\n")[0] + b"\r\n\r\n"  # the header, not a byte of the body
    assert all(SEEN in flags for flags in server_flags(dovecot, mailbox.username).values())


def test_a_message_the_server_cannot_read_is_quarantined_and_the_rest_goes_on(dovecot, mailbox, imap_runtime, db):
    append(dovecot, mailbox.username, [tenant_mail(n) for n in range(4)])
    maildir = dovecot.maildir(mailbox.username)
    broken = next(p for p in maildir.glob("*/*") if b"mail-1@" in p.read_bytes())
    broken.chmod(0)  # Dovecot cannot read this one file: it answers the FETCH with BYE and hangs up

    outcomes = []
    try:
        for _ in range(6):
            try:
                outcomes.append(poll_once(imap_runtime, mailbox))
            except Exception as exc:
                assert is_connection_error(exc), exc
                outcomes.append(None)
    finally:
        next(p for p in maildir.glob("*/*") if p.name.startswith(broken.name.split(":")[0])).chmod(0o600)

    # three fetches of UID 2 broke the connection (in its batch, then twice alone); then it was given up
    assert [o is None for o in outcomes] == [True, True, True, False, False, False]
    assert (outcomes[3].stored, outcomes[3].quarantined, outcomes[3].last_uid) == (2, 1, 4)
    assert sorted(item.channel_id for item in stored(db) if item.state == "pending") == [
        f"<mail-{n}@tenants.example.org>" for n in (0, 2, 3)
    ]
    problem = next(item for item in stored(db) if item.state == "quarantined")
    assert problem.channel_id == f"imap-unfetchable:tenants:{outcomes[3].uidvalidity}:2"
    assert "UID 2 in 'INBOX'" in problem.error and "broke the connection 3 times" in problem.error
    flags = server_flags(dovecot, mailbox.username)
    assert SEEN not in flags[2] and all(SEEN in flags[uid] for uid in (1, 3, 4))
    assert outcomes[5].fetched == 0


def test_the_password_comes_from_the_named_variable_and_a_refusal_never_shows_it(
    own_dovecot, mailbox, imap_runtime, monkeypatch
):
    user, password = own_dovecot.add_user()
    append(own_dovecot, user, [tenant_mail(0)])
    mailbox = changed(
        mailbox, port=own_dovecot.port, username=user, password="not-this-one", password_env="TENANTS_IMAP_PASSWORD"
    )
    monkeypatch.setenv("TENANTS_IMAP_PASSWORD", password)
    assert poll_once(imap_runtime, mailbox).stored == 1

    monkeypatch.setenv("TENANTS_IMAP_PASSWORD", "wrong-secret-value")
    with pytest.raises(MailboxError) as refused:
        poll_once(imap_runtime, mailbox)
    assert str(refused.value).startswith(f"tenants: login as {user} at 127.0.0.1:")
    assert "refused: [AUTHENTICATIONFAILED]" in str(refused.value) and "wrong-secret-value" not in str(refused.value)
    monkeypatch.delenv("TENANTS_IMAP_PASSWORD")
    with pytest.raises(MailboxError, match="^tenants: password_env names TENANTS_IMAP_PASSWORD, which is not set$"):
        poll_once(imap_runtime, mailbox)


def test_a_crash_after_the_move_but_before_its_record_leaves_nothing_to_redo(
    dovecot, mailbox, imap_runtime, db, caplog
):
    mailbox = changed(mailbox, after_store="move", move_to="Processed")
    append(dovecot, mailbox.username, [tenant_mail(n) for n in range(2)])
    append(dovecot, mailbox.username, [], folder="Processed")
    first = poll_once(imap_runtime, mailbox)
    # what a crash right after the server's MOVE would have left: both UIDs still listed as unmarked
    record_stored(db, "tenants", first.uidvalidity, first.last_uid, [1, 2])

    again = poll_once(imap_runtime, mailbox)

    assert (again.fetched, again.marked) == (0, 0) and read_position(db, "tenants").unmarked == []
    assert "could not mark" not in caplog.text
    assert len(folder_bodies(dovecot, mailbox.username, "Processed")) == 2
