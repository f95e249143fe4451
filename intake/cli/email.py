"""`intake parse-email FILE…`: show what the email channel makes of raw mail files, one JSON line each.

For operators checking a quarantined or surprising mail; it runs the same parse as the worker, offline.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from intake.channels.base import ParseError
from intake.channels.email.auto import detect_automatic
from intake.channels.email.channel import to_inbound
from intake.channels.email.parse import parse_email
from intake.core.models import InboundMessage
from intake.core.settings import Settings, get_settings


@click.command("parse-email")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def parse_email_command(files: tuple[Path, ...]) -> None:
    """Parse raw RFC 5322 mail FILES (a folder stands for the files in it) and print one JSON object per file;
    a file that cannot be parsed gets {"file", "error"} and the rest go on. Exits 1 only when none parsed."""
    settings = get_settings()
    results = [_parse_one(path, settings) for path in expand(files)]
    if all("error" in result for result in results):
        raise SystemExit(1)


def expand(paths: tuple[Path, ...]):
    """Each argument's files in a stable order: a folder stands for the non-hidden files under it."""
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file() and not _is_hidden(p.relative_to(path)))
            yield from inside or [path]  # an empty folder is reported as that item's error
        else:
            yield path


def _is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _parse_one(path: Path, settings: Settings) -> dict:
    """Print one file's JSON line and return it; whatever goes wrong with this file, the run goes on."""
    try:
        result = describe(_display(path), read_mail_file(path, settings))
        _print(result)
    except Exception as exc:  # one bad file is a line of output, never the end of the run
        reason = str(exc) if isinstance(exc, (ParseError, OSError)) else f"{type(exc).__name__}: {exc}"
        result = {"file": _display(path), "error": reason}
        _print(result)
    return result


def read_mail_file(path: Path, settings: Settings) -> InboundMessage:
    """The message the email channel makes of a mail file, offline; ParseError (or OSError) when it cannot."""
    if path.is_dir():
        raise ParseError("a folder with no files in it")
    limit = settings.limits.raw_max_bytes
    if path.stat().st_size > limit:  # the channel refuses these too; do not read them into memory
        raise ParseError(f"larger than limits.raw_max_bytes ({limit} bytes)")
    parsed = parse_email(path.read_bytes(), settings.limits.address_header_max_chars)
    verdict = detect_automatic(parsed.message, settings.email.our_addresses, settings.email.instance_marker)
    return to_inbound(parsed, verdict, settings, channel_id=path.name)


def _display(path: Path) -> str:
    """The path as text; bytes that are not UTF-8 in a file name are shown as \\xNN."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _print(result: dict) -> None:
    # File names (and any text) may hold lone surrogates for undecodable bytes: JSON-escape those too.
    click.echo(json.dumps(result, ensure_ascii=False).encode("utf-8", "backslashreplace").decode("utf-8"))


def describe(file: str, message) -> dict:
    """The fields an operator looks at first, as plain JSON-able data."""
    return {
        "file": file,
        "message_id": message.thread.message_id,
        "in_reply_to": message.thread.in_reply_to,
        "references": message.thread.references,
        "from": message.sender,
        "to": message.to,
        "subject": message.subject,
        "date": message.sent_at.isoformat() if message.sent_at else None,
        "text": message.text,
        "full_text": message.full_text,
        "attachments": [{"name": a.name, "content_type": a.content_type, "size": a.size} for a in message.attachments],
        "auto": message.auto,
    }
