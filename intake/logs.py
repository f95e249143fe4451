"""Logging setup and the redaction every log line goes through: no secrets, no full phone numbers."""

from __future__ import annotations

import logging
import re

_PHONE = re.compile(r"(?<![\w@])\+?\d[\d \-()]{6,}\d(?!\w)")
_SECRET_KV = re.compile(r"(?i)\b((?:[\w.]*[_.])?(?:password|secret|token|api[_-]?key|authorization))(\s*[=:]\s*)([^\s&]+)")


def redact_phone(number: str) -> str:
    """Keep a country prefix and the last two digits: enough to tell numbers apart in a log."""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 6:
        return "*" * len(digits)
    return f"+{digits[:2]}{'*' * (len(digits) - 4)}{digits[-2:]}"


def redact(text: str) -> str:
    """Mask phone numbers and `key=value` secrets in free text."""
    text = _SECRET_KV.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    return _PHONE.sub(lambda m: redact_phone(m.group(0)), text)


class RedactingFilter(logging.Filter):
    """Redacts the final message of every record, whatever the logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def setup_logging(level: int | None = None) -> None:
    """Configure the root logger once, with redaction on every handler."""
    from intake.config import get_settings

    if level is None:
        level = getattr(logging, get_settings().log_level.upper(), logging.INFO)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Every command migrates first; "context impl SQLiteImpl" on each run is noise, not news.
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
