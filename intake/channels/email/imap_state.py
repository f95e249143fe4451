"""Where each mailbox stands, in the database: UIDVALIDITY, the last stored UID, and UIDs still to be marked.

Part of the IMAP poller. The order of writes is what makes a crash at any point safe:

1. the raw bytes are committed (`accept`): a crash now re-fetches the message, and `accept` deduplicates it;
2. `last_uid` advances and the batch's UIDs join the *unmarked* list, in one transaction;
3. the server flags \\Seen (or moves) those UIDs;
4. they leave the unmarked list. A crash between 2 and 4 leaves them listed: the next poll marks them first.

The unmarked list lives in the `cursors` table under `imap:<mailbox>:unmarked`, tied to its UIDVALIDITY.
Beside it, `imap:<mailbox>:breaking` counts, per UID, fetches that broke the connection (some servers drop
the session when a stored message cannot be read), so that such a message is quarantined after a few
tries instead of blocking the mailbox forever.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from intake.core.models import utcnow
from store.cursors import get_cursor, set_cursor
from store.db import Database
from store.models import Cursor, MailboxState

log = logging.getLogger(__name__)


@dataclass
class Position:
    uidvalidity: int
    last_uid: int
    unmarked: list[int] = field(default_factory=list)
    breaking: dict[int, int] = field(default_factory=dict)  # UID → fetches of it that broke the connection
    resynced_from: int | None = None  # the old UIDVALIDITY when it changed on this visit


def unmarked_cursor(mailbox: str) -> str:
    return f"imap:{mailbox}:unmarked"


def breaking_cursor(mailbox: str) -> str:
    return f"imap:{mailbox}:breaking"


def load_position(db: Database, mailbox: str, uidvalidity: int) -> Position:
    """The stored position for the folder's current UIDVALIDITY; a changed one restarts from UID 0."""
    with db.locked() as session:
        row = _lock(session, mailbox)
        if row is None:
            session.add(MailboxState(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=0, updated_at=utcnow()))
            _write_unmarked(session, mailbox, uidvalidity, [])
            _write_breaking(session, mailbox, uidvalidity, {})
            return Position(uidvalidity, 0)
        if row.uidvalidity != uidvalidity:
            # Old UIDs mean nothing now. Everything is fetched again; accept() skips what is already stored.
            old = row.uidvalidity
            row.uidvalidity, row.last_uid, row.updated_at = uidvalidity, 0, utcnow()
            _write_unmarked(session, mailbox, uidvalidity, [])
            _write_breaking(session, mailbox, uidvalidity, {})
            return Position(uidvalidity, 0, resynced_from=old)
        return Position(
            uidvalidity,
            row.last_uid,
            _read_unmarked(session, mailbox, uidvalidity),
            _read_breaking(session, mailbox, uidvalidity),
        )


def record_stored(db: Database, mailbox: str, uidvalidity: int, last_uid: int, to_mark: list[int]) -> None:
    """Step 2: everything up to `last_uid` is committed; `to_mark` still need their \\Seen flag or move."""
    with db.locked() as session:
        row = _lock(session, mailbox)
        if row is None or row.uidvalidity != uidvalidity:
            log.warning("%s: UIDVALIDITY changed while polling; position not advanced", mailbox)
            return
        row.last_uid, row.updated_at = max(row.last_uid, last_uid), utcnow()
        pending = set(_read_unmarked(session, mailbox, uidvalidity)) | set(to_mark)
        _write_unmarked(session, mailbox, uidvalidity, sorted(pending))
        breaking = _read_breaking(session, mailbox, uidvalidity)
        if breaking:
            _write_breaking(session, mailbox, uidvalidity, {u: n for u, n in breaking.items() if u > row.last_uid})


def record_broken_fetch(db: Database, mailbox: str, uidvalidity: int, uids: list[int]) -> dict[int, int]:
    """The connection broke while fetching `uids`: count it against each of them. Returns the new counts."""
    with db.locked() as session:
        _lock(session, mailbox)
        breaking = _read_breaking(session, mailbox, uidvalidity)
        for uid in uids:
            breaking[uid] = breaking.get(uid, 0) + 1
        _write_breaking(session, mailbox, uidvalidity, breaking)
        return breaking


def record_marked(db: Database, mailbox: str, uidvalidity: int, uids: list[int]) -> None:
    """Step 4: these UIDs are flagged or moved on the server."""
    if not uids:
        return
    with db.locked() as session:
        _lock_cursor(session, mailbox)
        pending = set(_read_unmarked(session, mailbox, uidvalidity)) - set(uids)
        _write_unmarked(session, mailbox, uidvalidity, sorted(pending))


def read_position(db: Database, mailbox: str) -> Position | None:
    """The stored position without changing it (for `intake imap status`)."""
    with db.session() as session:
        row = session.get(MailboxState, mailbox)
        if row is None:
            return None
        return Position(row.uidvalidity, row.last_uid, _read_unmarked(session, mailbox, row.uidvalidity))


def _lock(session, mailbox: str) -> MailboxState | None:
    statement = select(MailboxState).where(MailboxState.mailbox == mailbox).with_for_update()
    return session.execute(statement).scalar_one_or_none()


def _lock_cursor(session, mailbox: str) -> None:
    session.execute(select(Cursor).where(Cursor.name == unmarked_cursor(mailbox)).with_for_update())


def _read_unmarked(session, mailbox: str, uidvalidity: int) -> list[int]:
    value = get_cursor(session, unmarked_cursor(mailbox))
    if not value:
        return []
    data = json.loads(value)
    return [int(uid) for uid in data.get("uids", [])] if data.get("uidvalidity") == uidvalidity else []


def _write_unmarked(session, mailbox: str, uidvalidity: int, uids: list[int]) -> None:
    set_cursor(session, unmarked_cursor(mailbox), json.dumps({"uidvalidity": uidvalidity, "uids": uids}))


def _read_breaking(session, mailbox: str, uidvalidity: int) -> dict[int, int]:
    value = get_cursor(session, breaking_cursor(mailbox))
    data = json.loads(value) if value else {}
    return {int(uid): n for uid, n in data.get("counts", {}).items()} if data.get("uidvalidity") == uidvalidity else {}


def _write_breaking(session, mailbox: str, uidvalidity: int, counts: dict[int, int]) -> None:
    set_cursor(session, breaking_cursor(mailbox), json.dumps({"uidvalidity": uidvalidity, "counts": counts}))
