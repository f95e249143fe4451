"""`intake parse-email FILE…`: show what the email channel makes of raw mail files, one JSON line each.

For operators checking a quarantined or surprising mail; it runs the same parse as the worker, offline.
"""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("parse-email")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def parse_email_command(files: tuple[Path, ...]) -> None:
    """Parse raw RFC 5322 mail FILES and print one JSON object per file (errors included, never fatal)."""
    from intake.channels.base import ParseError
    from intake.channels.email.auto import detect_automatic
    from intake.channels.email.channel import to_inbound
    from intake.channels.email.parse import parse_email
    from intake.config import get_settings

    settings = get_settings()
    failures = 0
    for path in files:
        try:
            raw = path.read_bytes()
            parsed = parse_email(raw)
            verdict = detect_automatic(parsed.message, settings.email.our_addresses, settings.email.instance_marker)
            message = to_inbound(parsed, verdict, settings, channel_id=path.name)
        except (ParseError, OSError) as exc:
            failures += 1
            click.echo(json.dumps({"file": str(path), "error": str(exc)}, ensure_ascii=False))
            continue
        click.echo(json.dumps(describe(str(path), message), ensure_ascii=False))
    if failures == len(files):
        raise SystemExit(1)


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


def register(group: click.Group) -> None:
    group.add_command(parse_email_command)
