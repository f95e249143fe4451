"""One pass over one IMAP folder: new UIDs → raw items in the store → \\Seen flag or move on the server.

Part of the IMAP poller (`imap.py` drives it; `imap_state.py` keeps the position). Bodies are fetched with
`BODY.PEEK[]`, so nothing is flagged until the raw bytes are committed. A message that cannot be fetched or
is over `limits.raw_max_bytes` goes to quarantine with the reason and the pass goes on with the next one.
A broken connection is not a bad message: it propagates, and the next pass resumes from what was committed.
"""

from __future__ import annotations

import hashlib
import logging

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from pydantic import BaseModel, ValidationError

from intake.channels.email.files import email_raw
from intake.channels.email.imap_session import MailboxError, error_text, is_connection_error
from intake.channels.email.imap_state import Position, load_position, record_broken_fetch, record_marked, record_stored
from intake.core.models import ChannelName, RawInput
from intake.core.settings import MailboxSettings
from intake.ingest import accept, quarantine_input
from intake.runtime import Runtime

log = logging.getLogger(__name__)
SEEN = b"\\Seen"
MAX_BROKEN_FETCHES = 3  # a UID whose fetch broke the connection this often is quarantined unfetched
HEADER_MAX_BYTES = 256 * 1024  # what an oversized mail keeps: its header, at most this much


class PollResult(BaseModel):
    """What one pass did."""

    fetched: int = 0  # messages read from the server
    stored: int = 0  # new raw items
    duplicates: int = 0  # mails the store already had
    quarantined: int = 0  # kept in quarantine with the reason (unfetchable, over the size limit…)
    marked: int = 0  # flagged \Seen or moved on the server once stored
    uidvalidity: int | None = None
    last_uid: int = 0  # the position the next pass starts after
    resynced: bool = False  # UIDVALIDITY changed: the folder was read again from the start


def sync_folder(client: IMAPClient, runtime: Runtime, mailbox: MailboxSettings) -> PollResult:
    """Store every message above the remembered UID, then mark it; first retry marks an earlier pass left."""
    try:
        selected = client.select_folder(mailbox.folder)
    except IMAPClientError as exc:
        if is_connection_error(exc):
            raise
        raise MailboxError(f"{mailbox.name}: cannot open folder {mailbox.folder!r}: {exc}") from None
    uidvalidity = int(selected[b"UIDVALIDITY"])
    position = load_position(runtime.db, mailbox.name, uidvalidity)
    resynced = position.resynced_from is not None
    result = PollResult(uidvalidity=uidvalidity, last_uid=position.last_uid, resynced=resynced)
    if resynced:
        log.warning(
            "%s: UIDVALIDITY changed from %s to %s: reading the whole folder again (stored mail is skipped)",
            mailbox.name,
            position.resynced_from,
            uidvalidity,
        )
    if position.unmarked:
        result.marked += _mark_left_over(client, runtime, mailbox, position)
    new_uids = sorted(uid for uid in client.search(["UID", f"{position.last_uid + 1}:*"]) if uid > position.last_uid)
    for batch in _batches(new_uids, mailbox.batch_size, position.breaking):
        _store_batch(client, runtime, mailbox, position, batch, result)
    if result.fetched or result.quarantined or result.marked:
        log.info(
            "%s: %d fetched, %d stored, %d duplicates, %d quarantined, %d marked; last UID %d",
            mailbox.name,
            result.fetched,
            result.stored,
            result.duplicates,
            result.quarantined,
            result.marked,
            result.last_uid,
        )
    return result


def _store_batch(
    client: IMAPClient,
    runtime: Runtime,
    mailbox: MailboxSettings,
    position: Position,
    uids: list[int],
    result: PollResult,
) -> None:
    limit = runtime.settings.limits.raw_max_bytes
    sizes = {uid: int(data.get(b"RFC822.SIZE", 0)) for uid, data in client.fetch(uids, ["RFC822.SIZE"]).items()}
    present = [uid for uid in uids if uid in sizes]  # the others were expunged meanwhile: nothing to keep
    given_up = {uid for uid in present if position.breaking.get(uid, 0) >= MAX_BROKEN_FETCHES}
    wanted = [uid for uid in present if sizes[uid] <= limit and uid not in given_up]
    try:
        bodies = _fetch_bodies(client, wanted)
    except Exception as exc:
        if is_connection_error(exc) and wanted:  # the network, or a message the server chokes on: count it
            position.breaking = record_broken_fetch(runtime.db, mailbox.name, position.uidvalidity, wanted)
        raise
    for uid in given_up:
        bodies[uid] = f"fetching it broke the connection {position.breaking[uid]} times"
    source = f"imap:{mailbox.name}"
    raws: list[RawInput] = []
    to_mark: list[int] = []
    for uid in present:
        where = f"UID {uid} in {mailbox.folder!r} (UIDVALIDITY {position.uidvalidity})"
        if sizes[uid] > limit:
            reason = (
                f"{where} is {sizes[uid]:,} bytes, over limits.raw_max_bytes = {limit:,}: only its header "
                f"was downloaded; the message stays on the IMAP server"
            )
            _quarantine(runtime, _header_raw(client, mailbox, position, uid, source), reason, mailbox, result)
            to_mark.append(uid)  # stored as far as we will ever store it; marking keeps it from being re-read
            continue
        body = bodies.get(uid)
        if not isinstance(body, bytes):
            reason = f"{where} could not be fetched: {body or 'the server sent no body'}; it was left unmarked"
            _quarantine(runtime, _failed_raw(mailbox, position, uid, source), reason, mailbox, result)
            continue
        result.fetched += 1
        try:
            raws.append(email_raw(body, source))
        except ValidationError as exc:  # e.g. a Message-ID longer than any store key: keep the bytes anyway
            raw = RawInput(
                channel=ChannelName.EMAIL,
                channel_id="sha256:" + hashlib.sha256(body).hexdigest(),
                payload=body,
                content_type="message/rfc822",
                source=source,
            )
            _quarantine(runtime, raw, f"{where} has unusable headers: {exc.errors()[0]['msg']}", mailbox, result)
        to_mark.append(uid)
    if raws:
        outcome = accept(runtime.db, raws)  # step 1: committed before anything is marked
        result.stored += sum(not r.duplicate for r in outcome)
        result.duplicates += sum(r.duplicate for r in outcome)
    result.last_uid = max(uids)
    record_stored(runtime.db, mailbox.name, position.uidvalidity, result.last_uid, to_mark)  # step 2
    result.marked += _mark(client, runtime, mailbox, position, to_mark)  # steps 3 and 4


def _batches(uids: list[int], size: int, breaking: dict[int, int]) -> list[list[int]]:
    """Batches of `size`; a UID whose fetch broke the connection before is fetched alone, to pin the culprit."""
    batches: list[list[int]] = [[]]
    for uid in uids:
        if uid in breaking:
            batches += [[uid], []]
        else:
            if len(batches[-1]) >= size:
                batches.append([])
            batches[-1].append(uid)
    return [batch for batch in batches if batch]


def _fetch_bodies(client: IMAPClient, uids: list[int]) -> dict[int, bytes | str]:
    """Bodies by UID; if the batch is refused, one by one, so one bad message only costs itself."""
    if not uids:
        return {}
    try:
        return {uid: data.get(b"BODY[]") for uid, data in client.fetch(uids, ["BODY.PEEK[]"]).items()}
    except IMAPClientError as exc:
        if is_connection_error(exc):
            raise
        if len(uids) == 1:
            return {uids[0]: error_text(exc)}
    bodies: dict[int, bytes | str] = {}
    for uid in uids:
        bodies.update(_fetch_bodies(client, [uid]))
    return bodies


def _mark_left_over(client: IMAPClient, runtime: Runtime, mailbox: MailboxSettings, position: Position) -> int:
    """Mark what an earlier pass stored but did not get to mark; UIDs no longer in the folder were moved."""
    present = set(client.search(["UID", ",".join(map(str, position.unmarked))]))
    gone = [uid for uid in position.unmarked if uid not in present]
    record_marked(runtime.db, mailbox.name, position.uidvalidity, gone)
    left = [uid for uid in position.unmarked if uid in present]
    if left:
        log.info("%s: marking %d stored message(s) an earlier pass left unmarked", mailbox.name, len(left))
    return _mark(client, runtime, mailbox, position, left)


def _mark(client: IMAPClient, runtime: Runtime, mailbox: MailboxSettings, position: Position, uids: list[int]) -> int:
    """Flag \\Seen or move; a refusal is logged and the UIDs stay listed to be retried on the next pass."""
    if not uids:
        return 0
    try:
        if mailbox.after_store == "move" and client.has_capability("MOVE"):
            client.move(uids, mailbox.move_to)
        elif mailbox.after_store == "move":  # no MOVE: copy and flag, never delete (a retry may copy twice)
            client.copy(uids, mailbox.move_to)
            client.add_flags(uids, [SEEN], silent=True)
        else:
            client.add_flags(uids, [SEEN], silent=True)
    except IMAPClientError as exc:
        if is_connection_error(exc):
            raise
        log.error(
            "%s: could not mark %d stored message(s) (%s); will retry on the next pass",
            mailbox.name,
            len(uids),
            error_text(exc),
        )
        return 0
    record_marked(runtime.db, mailbox.name, position.uidvalidity, uids)
    return len(uids)


def _quarantine(runtime: Runtime, raw: RawInput, reason: str, mailbox: MailboxSettings, result: PollResult) -> None:
    raw_id = quarantine_input(runtime.db, raw, reason)
    result.quarantined += 1
    log.warning("%s: raw %s quarantined: %s", mailbox.name, raw_id, reason)


def _header_raw(client: IMAPClient, mailbox: MailboxSettings, position: Position, uid: int, source: str) -> RawInput:
    """An oversized mail keeps just its header, under the same dedupe key the whole mail would have."""
    try:
        data = client.fetch([uid], [f"BODY.PEEK[HEADER]<0.{HEADER_MAX_BYTES}>"]).get(uid, {})
    except IMAPClientError as exc:
        if is_connection_error(exc):
            raise
        data = {}
    header = next((value for key, value in data.items() if key.startswith(b"BODY[HEADER]")), None) or b""
    try:
        if header.strip():
            return email_raw(header, source)
    except ValidationError:
        pass
    return RawInput(
        channel=ChannelName.EMAIL,
        channel_id=f"imap-oversized:{mailbox.name}:{position.uidvalidity}:{uid}",
        payload=header,
        content_type="text/rfc822-headers",
        source=source,
    )


def _failed_raw(mailbox: MailboxSettings, position: Position, uid: int, source: str) -> RawInput:
    """No bytes to keep: the record names where the message is, so an operator can find it."""
    key = f"imap-unfetchable:{mailbox.name}:{position.uidvalidity}:{uid}"
    return RawInput(
        channel=ChannelName.EMAIL, channel_id=key, payload=b"", content_type="message/rfc822", source=source
    )
