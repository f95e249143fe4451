"""Classifier inputs from JSON-lines records, as `intake classify`, `intake eval` and training read them: the
record's fields, with quoted history cut off the body the way the email channel's parse stage does."""

from __future__ import annotations

import re
from typing import Any

from classifiers.models import ClassifyInput

_QUOTE_HEADER = re.compile(
    r"^\s*(?:on\b.*\bwrote:|am\b.*\bschrieb.*:|el\b.*\bescribi[oó]:|le\b.*\ba [ée]crit ?:"
    r"|-{3,}\s*original message\s*-{3,}|-{5,}\s*forwarded message|from:\s.*)\s*$",
    re.IGNORECASE,
)


def strip_quotes(text: str) -> str:
    """New text of a message body: the email channel's quote stripper, or a plain fallback."""
    try:  # the email channel sits above the classifiers: see the import-linter contract in pyproject.toml
        from intake.channels.email.quotes import extract_new_text
    except ImportError:
        return _cut_at_quote(text)
    return extract_new_text(text)


def _cut_at_quote(text: str) -> str:
    kept = []
    for line in text.splitlines():
        if line.lstrip().startswith(">") or _QUOTE_HEADER.match(line):
            break
        kept.append(line)
    return "\n".join(kept).strip() or text


def record_input(record: dict[str, Any]) -> ClassifyInput:
    """The classifier's input for one JSON-lines record (`id`, `channel`, `from`, `subject`, `body`,
    `received_at`), its body's quoted history cut off; raises ValueError when a field has the wrong type."""
    item = ClassifyInput.model_validate(
        {
            "id": None if record.get("id") is None else str(record["id"]),
            "channel": record.get("channel") or "email",
            "sender": record.get("from"),
            "subject": record.get("subject"),
            "body": record.get("body") or "",
            "received_at": record.get("received_at"),
        }
    )
    return item.model_copy(update={"body": strip_quotes(item.body)})
