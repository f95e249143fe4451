"""Local files as raw inputs: whatever the registered channels read from disk (mail files, mbox files and
maildirs; saved webhook payloads).

`intake ingest` and `intake demo` read through here; the result is the same `RawInput` a live channel makes,
so a file ingested twice, or a mail that also arrives over IMAP, is deduplicated the same way. This module
only walks the paths and picks the channel of each file; the channel reads it (`Channel.read_file`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from intake.channels.base import SourceError, SourceItem
from intake.channels.registry import channels, get_channel
from intake.core.models import ChannelName
from intake.core.settings import get_settings

FALLBACK_CHANNEL = ChannelName.EMAIL  # a file no folder name or suffix places is read as a mail


def read_paths(paths: list[Path], channel: ChannelName | None = None) -> Iterator[SourceItem]:
    """Every raw input in the given files and folders, in a stable order."""
    for path in paths:
        if path.is_dir():
            yield from _folder(path, channel)
        else:
            yield from _file(path, channel)


def _folder(path: Path, channel: ChannelName | None) -> Iterator[SourceItem]:
    """A folder a channel reads as a whole (a maildir), else every file in it with a suffix a channel reads."""
    for owner in channels():
        items = owner.read_folder(path, get_settings())
        if items is not None:
            yield from items
            return
    suffixes = {suffix for owner in channels() for suffix in owner.file_suffixes}
    for child in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
        if child.suffix.lower() in suffixes:
            yield from _file(child, channel)


def _file(path: Path, channel: ChannelName | None) -> Iterator[SourceItem]:
    yield from get_channel(channel or _guess_channel(path)).read_file(path, get_settings())


def _guess_channel(path: Path) -> ChannelName:
    """By folder name (samples/whatsapp/…), else by a suffix one channel alone reads; a JSON payload outside
    a channel's folder needs `--channel`."""
    readers = [owner for owner in channels() if owner.file_suffixes]
    for part in reversed(path.parts[:-1]):
        for owner in readers:
            if part.lower() == owner.name.value:
                return owner.name
    suffix = path.suffix.lower()
    claimed = [owner.name for owner in readers if suffix in owner.file_suffixes]
    if len(claimed) > 1:
        raise SourceError(
            f"{path}: cannot tell which channel this {suffix[1:].upper()} payload is from; pass --channel"
        )
    return claimed[0] if claimed else FALLBACK_CHANNEL
