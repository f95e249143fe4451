"""Mail as files for `intake ingest` and `intake demo`: one `.eml`, an mbox, a maildir → raw items.

The raw item is the same one the IMAP poller makes (`email_raw`), so a file ingested twice, or a mail that
also arrives over IMAP, is deduplicated the same way: by its Message-ID.
"""

from __future__ import annotations

import hashlib
import mailbox
import re
from collections.abc import Iterator
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

from intake.channels.base import SourceItem
from intake.channels.payload import MAX_CHANNEL_ID, rejected_raw
from intake.core.clean import has_control_characters
from intake.core.models import ChannelName, RawInput

SUFFIXES = frozenset({".eml", ".mbox", ".msg", ".txt"})
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


def email_channel_id(data: bytes) -> str:
    """Dedupe key of a mail: its Message-ID, else a hash of its bytes (the same on every path it arrives by)."""
    # Only the bytes up to the first blank line: the header parser still reads a body line by line, and the
    # headers end there at the latest (at the first line that is not a header, if earlier).
    blank = _BLANK_LINE.search(data)
    headers = BytesHeaderParser(policy=compat32).parsebytes(data[: blank.end()] if blank else data, headersonly=True)
    message_id = str(headers.get("Message-ID") or "").strip()
    if message_id:
        message_id = message_id if message_id.startswith("<") else f"<{message_id}>"
        if len(message_id) > MAX_CHANNEL_ID or has_control_characters(message_id):
            # Not a key the store can hold (over 998 characters, a NUL): its hash is, and stays the same
            # on every path the mail arrives by, so redeliveries are still deduplicated.
            return "message-id-sha256:" + hashlib.sha256(message_id.encode("utf-8", "surrogateescape")).hexdigest()
        return message_id
    return "sha256:" + hashlib.sha256(data).hexdigest()


def email_raw(data: bytes, source: str) -> RawInput:
    """The raw item of one mail's bytes."""
    return RawInput(
        channel=ChannelName.EMAIL,
        channel_id=email_channel_id(data),
        payload=data,
        content_type="message/rfc822",
        source=source,
    )


def read_mail_file(path: Path) -> Iterator[SourceItem]:
    """The mails of one file: an mbox (by suffix, or a first line "From "), else one RFC 5322 message."""
    if path.suffix.lower() == ".mbox" or _starts_with(path, b"From "):
        box = mailbox.mbox(path, create=False)
        for key in box.keys():
            yield _mail_item(box.get_bytes(key), f"mbox:{path}")
    else:
        yield _mail_item(path.read_bytes(), f"file:{path}")


def is_maildir(path: Path) -> bool:
    """Whether a folder is a maildir (it has `cur` and `new`)."""
    return (path / "cur").is_dir() and (path / "new").is_dir()


def read_maildir(path: Path) -> Iterator[SourceItem]:
    """The mails of a maildir, in a stable order."""
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.keys()):
        yield _mail_item(box.get_bytes(key), f"maildir:{path}")


def _mail_item(data: bytes, source: str) -> SourceItem:
    """One mail as a source item; a mail whose headers we cannot even key is kept for quarantine instead."""
    try:
        return SourceItem(raw=email_raw(data, source))
    except Exception as exc:  # one bad mail must not stop the files and mbox entries after it
        reason = f"cannot read the mail's headers: {type(exc).__name__}: {str(exc)[:200]}"
        return SourceItem(raw=rejected_raw(ChannelName.EMAIL, None, data, source, "message/rfc822"), problem=reason)


def _starts_with(path: Path, prefix: bytes) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(prefix)) == prefix
