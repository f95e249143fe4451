"""Small time vocabulary shared by the three rules files: durations ("1h30m"), clock times ("08:00") and
weekly hours ({"mon-fri": "08:00-18:00", "sat": "closed"}). Parsers raise ValueError with a message meant for ops.
"""

from __future__ import annotations

import re
from datetime import timedelta

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")

Window = tuple[int, int]  # minutes since local midnight, start < end <= 1440


def parse_duration(value: object) -> timedelta:
    """'30m', '4h', '2d', '1h30m' (or a number of minutes) → timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(minutes=value)
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if not match or not any(match.groups()):
        raise ValueError(f"bad duration {value!r}: write e.g. 30m, 4h, 2d or 1h30m")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def parse_clock(value: object) -> int:
    """'08:00' → minutes since midnight; '24:00' is allowed as the end of a day."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1440:
        value = f"{value // 60:02d}:{value % 60:02d}"  # YAML 1.1 reads an unquoted 18:30 as 18*60+30
    match = _CLOCK.match(str(value).strip())
    if match:
        hours, minutes = int(match.group(1)), int(match.group(2))
        if (hours < 24 and minutes < 60) or (hours == 24 and minutes == 0):
            return hours * 60 + minutes
    raise ValueError(f"bad time {value!r}: use 24-hour HH:MM between 00:00 and 24:00, e.g. 08:30")


def parse_window(value: object) -> tuple[int, int]:
    """'22:00-06:00' → (1320, 360); the end may be before the start (the window crosses midnight)."""
    text = str(value)
    if text.count("-") != 1:
        raise ValueError(f"bad time range {value!r}: write START-END, e.g. 08:00-18:00")
    start, end = (parse_clock(part) for part in text.split("-"))
    if start == end:
        raise ValueError(f"bad time range {value!r}: start and end are the same")
    return start, end


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days(key: str) -> list[int]:
    key = str(key).strip().lower()
    if key in {"daily", "every-day", "all"}:
        return list(range(7))
    if key == "weekdays":
        return list(range(5))
    if key == "weekends":
        return [5, 6]
    parts = key.split("-")
    if len(parts) > 2 or any(p not in DAYS for p in parts):
        raise ValueError(f"bad day {key!r}: use mon…sun, a range like mon-fri, weekdays, weekends or daily")
    first, last = DAYS.index(parts[0]), DAYS.index(parts[-1])
    return [(first + i) % 7 for i in range((last - first) % 7 + 1)]


def parse_weekly_hours(spec: object) -> dict[int, list[Window]]:
    """Weekly hours as {weekday: [(start, end), …]}; a window crossing midnight spills into the next day."""
    if spec in (None, "always", "24/7"):
        return {day: [(0, 1440)] for day in range(7)}
    if not isinstance(spec, dict):
        raise ValueError("hours must be a mapping like {mon-fri: 08:00-18:00, sat: closed} or 'always'")
    week: dict[int, list[Window]] = {day: [] for day in range(7)}
    for key, value in spec.items():
        windows = value if isinstance(value, list) else [value]
        for day in _days(key):
            week[day] = []  # a later, more specific key replaces an earlier one for that day
        for window in windows:
            if str(window).strip().lower() in {"closed", "off", "none"}:
                continue
            start, end = parse_window(window)
            for day in _days(key):
                if end > start:
                    week[day].append((start, end))
                else:
                    week[day].append((start, 1440))
                    if end:
                        week[(day + 1) % 7].append((0, end))
    return {day: sorted(windows) for day, windows in week.items()}
