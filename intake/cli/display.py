"""How the CLI shows stored values to people: absent values as "—" (never `None`), times in UTC without
microseconds, ages and SLA due times relative to now. JSON output does not go through here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

DASH = "—"
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def as_datetime(value: datetime | str | None) -> datetime | None:
    """A datetime from a stored value or its ISO text (naive ones are UTC, as the store writes them)."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_time(value: datetime | str | None) -> str:
    """'2026-12-07 18:11:06 UTC', or "—"."""
    moment = as_datetime(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else DASH


def format_span(delta: timedelta) -> str:
    """A duration in its two largest units: '45s', '12m', '3h 05m', '2d 4h'."""
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else f"{seconds}s"


def format_age(created: datetime | str | None, now: datetime) -> str:
    """How long ago a ticket came in, e.g. '3h 05m'."""
    moment = as_datetime(created)
    return format_span(now - moment) if moment else DASH


def format_due(due: datetime | str | None, now: datetime, *, year: bool = True) -> str:
    """An SLA due time with what is left: '2026-12-07 20:11 (in 1h 59m)' or '… (3h 10m overdue)'."""
    moment = as_datetime(due)
    if moment is None:
        return DASH
    left = moment - now
    relative = f"in {format_span(left)}" if left.total_seconds() >= 0 else f"{format_span(left)} overdue"
    return f"{moment.astimezone(UTC):{'%Y-' if year else ''}%m-%d %H:%M} ({relative})"


def shown(value) -> str:
    """Any stored value as readable text: "—" for absent, yes/no, lists joined, mappings as 'key value'."""
    if value is None or value == "" or value == [] or value == {}:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime) or (isinstance(value, str) and ISO_TIME.match(value)):
        return format_time(value)
    if isinstance(value, list | tuple):
        return ", ".join(shown(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key} {shown(item)}" for key, item in value.items())
    return str(value)
