"""Logging setup and the redaction every log line goes through: no secrets, no full phone numbers.

Redaction covers the whole formatted record: its message, its traceback (`exc_text`) and its stack.
"""

from __future__ import annotations

import logging
import re
from typing import TextIO

# Digit runs that may be phone numbers, even glued to letters or underscores: WAHA ids such as
# `false_15550100101@c.us_3EB0…` and media URLs `…/files/15550100101-3EB0.jpeg`. Only a digit may not
# touch the run (nor "digit-": the middle of a date); over-masking is the safe side.
_PHONE = re.compile(r"(?<!\d)(?<!\d-)(?!\d{4}-\d\d-\d\d(?!\d))\+?\d[\d \-()]{6,}\d(?!\d)")  # ISO dates are not phones
_BEARER = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=\-]{4,}")
# `token=x`, `password: x`, `'access-token': 'x'`, `"X-Api-Key": "x"`: the key may be quoted, the value too.
_SECRET_KV = re.compile(
    r"""(?i)\b([\w.\-]*(?:password|passwd|secret|token|api[_-]?key|authorization|hmac[_-]?key))(["']?)"""
    r"""(\s*[=:]\s*)(?!(?:bearer|basic)\s)(?:(["'])(?:(?!\4).)*\4|[^\s&,;}\]]+)"""
)


def redact_phone(number: str) -> str:
    """Keep a country prefix and the last two digits: enough to tell numbers apart in a log."""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 6:
        return "*" * len(digits)
    return f"+{digits[:2]}{'*' * (len(digits) - 4)}{digits[-2:]}"


# Broker message ids and ticket uuids: never a phone number, and operators grep logs for them.
_UUID = re.compile(r"(?i)\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b")


def redact(text: str) -> str:
    """Mask phone numbers, bearer tokens and `key=value` secrets in free text (UUIDs are left readable)."""
    text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    text = _SECRET_KV.sub(
        lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}{m.group(4) or ''}***{m.group(4) or ''}", text
    )
    parts = _UUID.split(text)  # text, uuid, text, uuid, …, text: only the text between uuids is masked
    return "".join(
        part if index % 2 else _PHONE.sub(lambda m: redact_phone(m.group(0)), part) for index, part in enumerate(parts)
    )


def describe_error(exc: BaseException, limit: int = 300) -> str:
    """`Type: first line` of an exception, for operator logs: SQLAlchemy errors quote the SQL and the
    parameters (payloads, phone numbers) on later lines, which are left out; the rest is redacted anyway."""
    original = getattr(exc, "orig", None) or exc
    first = (str(original).strip().splitlines() or [""])[0]
    return redact(f"{type(exc).__name__}: {first[:limit]}")


class RedactingFilter(logging.Filter):
    """Redacts the message, the traceback and the stack of every record, whatever the logger.

    The traceback is rendered here (and cached in `exc_text`, which formatters use as is), so its
    frames and exception text are redacted like the message.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def make_handler(stream: TextIO | None = None) -> logging.Handler:
    """The one log handler of the process: a stream, our line format, redaction."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    return handler


def level_of(name: str) -> int:
    """The logging level a `log_level` setting names ("info", "DEBUG"…); INFO when it names none."""
    return getattr(logging, name.upper(), logging.INFO)


def setup_logging(level: int) -> None:
    """Configure the root logger once, with redaction on every handler."""
    root = logging.getLogger()
    root.handlers[:] = [make_handler()]
    root.setLevel(level)
    # Every command migrates first; "context impl SQLiteImpl" on each run is noise, not news.
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))


def adopt_handlers(level: int) -> None:
    """Bring log handlers someone else set up under our settings, e.g. the ones `dramatiq`'s command line
    sets up in a worker process (which never runs our `setup_logging`): redaction on each handler of every
    logger (the root's and any library's own), and `log_level` (the command line logs at INFO, a line per
    item, whatever INTAKE_LOG_LEVEL says)."""
    root = logging.getLogger()
    root.setLevel(level)
    loggers = [root, *(item for item in logging.Logger.manager.loggerDict.values() if isinstance(item, logging.Logger))]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
