"""Local files as raw inputs: `.eml` files, mbox files, maildirs, and JSON webhook payload files.

`intake ingest` and `intake demo` read through here; the result is the same `RawInput` a live channel makes,
so a file ingested twice, or a mail that also arrives over IMAP, is deduplicated the same way.
"""

from __future__ import annotations

import hashlib
import importlib
import mailbox
import re
from collections.abc import Iterator
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

from pydantic import BaseModel

from intake.core.errors import OperatorError
from intake.core.models import ChannelName, RawInput
from intake.pipeline.clean import has_control_characters

MAX_CHANNEL_ID = 998  # as RawInput.channel_id and the raw_items column


class SourceError(OperatorError):
    """The files cannot be read as asked (the operator's to fix: a channel to name, a broken mapping)."""


def _read_qcontact(data: bytes, source: str, max_depth: int):
    from intake.channels.qcontact.mapping import MappingError, load_mapping
    from intake.channels.qcontact.payload import read_qcontact_payload
    from intake.core.settings import get_settings

    try:
        mapping = load_mapping(get_settings().qcontact.mapping_file)
    except MappingError as exc:
        raise SourceError(f"QContact mapping unusable: {exc}") from None
    return read_qcontact_payload(data, mapping, source, max_depth)


# Push channels split one payload into items (and rejects) with a function `(bytes, source) -> Split`.
PAYLOAD_READERS = {
    ChannelName.WHATSAPP: "intake.channels.whatsapp.payload:read_cloud_payload",
    ChannelName.WAHA: "intake.channels.waha.payload:read_waha_payload",
    ChannelName.QCONTACT: "intake.sources:_read_qcontact",
}


class SourceItem(BaseModel):
    """One raw input found in a file, or the reason a part of the file is unusable (kept in quarantine)."""

    raw: RawInput
    problem: str | None = None


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
    return RawInput(
        channel=ChannelName.EMAIL,
        channel_id=email_channel_id(data),
        payload=data,
        content_type="message/rfc822",
        source=source,
    )


def _email_item(data: bytes, source: str) -> SourceItem:
    """One mail as a source item; a mail whose headers we cannot even key is kept for quarantine instead."""
    try:
        return SourceItem(raw=email_raw(data, source))
    except Exception as exc:  # one bad mail must not stop the files and mbox entries after it
        reason = f"cannot read the mail's headers: {type(exc).__name__}: {str(exc)[:200]}"
        return SourceItem(raw=rejected_raw(ChannelName.EMAIL, None, data, source, "message/rfc822"), problem=reason)


def read_paths(paths: list[Path], channel: ChannelName | None = None) -> Iterator[SourceItem]:
    """Every raw input in the given files and folders, in a stable order."""
    for path in paths:
        if path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir():
            yield from _maildir(path)
        elif path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
                if child.suffix.lower() in {".eml", ".json", ".mbox", ".msg", ".txt"}:
                    yield from read_paths([child], channel)
        else:
            yield from _file(path, channel)


def _file(path: Path, channel: ChannelName | None) -> Iterator[SourceItem]:
    kind = channel or _guess_channel(path)
    if kind == ChannelName.EMAIL:
        if path.suffix.lower() == ".mbox" or _starts_with(path, b"From "):
            yield from _mbox(path)
        else:
            yield _email_item(path.read_bytes(), f"file:{path}")
        return
    yield from _payload(path, kind)


def _starts_with(path: Path, prefix: bytes) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(prefix)) == prefix


def _payload(path: Path, channel: ChannelName) -> Iterator[SourceItem]:
    from intake.channels.chat import PayloadError
    from intake.channels.split_payload import split_or_reject

    module_name, function_name = PAYLOAD_READERS[channel].split(":")
    from intake.core.settings import get_settings

    reader = getattr(importlib.import_module(module_name), function_name)
    data, source = path.read_bytes(), f"file:{path}"
    depth = get_settings().limits.json_max_depth
    try:
        split = split_or_reject(lambda raw: reader(raw, source, max_depth=depth), data, channel)
    except PayloadError as exc:  # the whole file is unusable: keep it, with the reason
        yield SourceItem(raw=rejected_raw(channel, None, data, source), problem=str(exc))
        return
    for raw in split.items:
        yield SourceItem(raw=raw)
    for rejected in split.rejected:
        yield SourceItem(
            raw=rejected_raw(channel, rejected.channel_id, rejected.payload, source), problem=rejected.reason
        )


def rejected_raw(
    channel: ChannelName, channel_id: str | None, payload: bytes, source: str, content_type: str = "application/json"
) -> RawInput:
    """A raw input for quarantine; without a usable channel id the content hash keeps redeliveries deduplicated."""
    from intake.channels.split_payload import rejected_key

    usable = channel_id and len(channel_id) <= MAX_CHANNEL_ID and not has_control_characters(channel_id)
    key = channel_id if usable else rejected_key(payload)
    return RawInput(channel=channel, channel_id=key, payload=payload, content_type=content_type, source=source)


def _mbox(path: Path) -> Iterator[SourceItem]:
    box = mailbox.mbox(path, create=False)
    for key in box.keys():
        yield _email_item(box.get_bytes(key), f"mbox:{path}")


def _maildir(path: Path) -> Iterator[SourceItem]:
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.keys()):
        yield _email_item(box.get_bytes(key), f"maildir:{path}")


def _guess_channel(path: Path) -> ChannelName:
    """By folder name (samples/whatsapp/…) or suffix; JSON without a known folder needs `--channel`."""
    for part in reversed(path.parts[:-1]):
        if part.lower() in FILE_CHANNELS:
            return ChannelName(part.lower())
    if path.suffix.lower() == ".json":
        raise SourceError(f"{path}: cannot tell which channel this JSON payload is from; pass --channel")
    return ChannelName.EMAIL


FILE_CHANNELS = {ChannelName.EMAIL.value, *(name.value for name in PAYLOAD_READERS)}
