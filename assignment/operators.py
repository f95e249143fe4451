"""The condition operators rule files may use (`is`, `in`, `contains`, `between`…), declared in code: each builds,
from the argument written in YAML, a test of a field's value and the words that explain a match or a miss.

`assignment.vocabulary` lists them with the fields and actions; `assignment.conditions` compiles conditions with them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assignment.hours import format_clock, parse_clock, parse_window


@dataclass(frozen=True)
class Operator:
    """`build(arg)` returns (test(value) -> bool, shown-when-matched, wanted-when-not) for one argument."""

    name: str
    kinds: frozenset[str]
    description: str
    build: Callable[[Any], tuple[Callable[[Any], bool], str, str]]


def _text(value: Any) -> str:
    return str(value).lower()


def _list(arg: Any) -> list[Any]:
    return list(arg) if isinstance(arg, (list, tuple)) else [arg]


def _shown(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else f"{value}"


def _is(arg):
    want = arg if isinstance(arg, (bool, int, float)) else _text(arg)
    return (lambda v: v == want), f"={_shown(want)}", _shown(want)


def _is_not(arg):
    want = arg if isinstance(arg, (bool, int, float)) else _text(arg)
    return (lambda v: v != want), f" is not {_shown(want)}", f"anything but {_shown(want)}"


def _in(arg):
    wanted = frozenset(_text(a) for a in _list(arg))
    shown = ", ".join(sorted(wanted))
    return (lambda v: v in wanted), f" in [{shown}]", f"one of {shown}"


def _not_in(arg):
    wanted = frozenset(_text(a) for a in _list(arg))
    shown = ", ".join(sorted(wanted))
    return (lambda v: v not in wanted), f" not in [{shown}]", f"none of {shown}"


def _present(arg):
    want = bool(arg)
    return (
        (lambda v: (v is not None and v != "") == want),
        (" is set" if want else " is empty"),
        ("set" if want else "empty"),
    )


def _contains(arg):
    needle = _text(arg)
    return (lambda v: v is not None and needle in v), f" contains '{needle}'", f"containing '{needle}'"


def _not_contains(arg):
    needle = _text(arg)
    return (lambda v: v is None or needle not in v), f" does not contain '{needle}'", f"free of '{needle}'"


def _contains_any(arg):
    needles = tuple(_text(a) for a in _list(arg))
    shown = ", ".join(f"'{n}'" for n in needles)
    return (
        (lambda v: v is not None and any(n in v for n in needles)),
        f" contains one of {shown}",
        f"containing one of {shown}",
    )


def _contains_all(arg):
    needles = tuple(_text(a) for a in _list(arg))
    shown = ", ".join(f"'{n}'" for n in needles)
    return (
        (lambda v: v is not None and all(n in v for n in needles)),
        f" contains all of {shown}",
        f"containing all of {shown}",
    )


def _starts_with(arg):
    prefix = _text(arg)
    return (lambda v: v is not None and v.startswith(prefix)), f" starts with '{prefix}'", f"starting with '{prefix}'"


def _ends_with(arg):
    suffix = _text(arg)
    return (lambda v: v is not None and v.endswith(suffix)), f" ends with '{suffix}'", f"ending with '{suffix}'"


def _matches(arg):
    pattern = re.compile(str(arg), re.IGNORECASE)  # re.error is reported by the loader with the file position
    return (lambda v: v is not None and pattern.search(v) is not None), f" matches /{arg}/", f"matching /{arg}/"


def _number(arg) -> float:
    if isinstance(arg, bool) or not isinstance(arg, (int, float)):
        raise ValueError(f"expected a number, got {arg!r}")
    return float(arg)


def _compare(symbol: str, word: str, check: Callable[[float, float], bool]):
    def build(arg):
        bound = _number(arg)
        return (lambda v: v is not None and check(v, bound)), f" {symbol} {bound:g}", f"{word} {bound:g}"

    return build


def _between_numbers(arg):
    low, high = (_number(a) for a in _list(arg)) if len(_list(arg)) == 2 else (None, None)
    if low is None:
        raise ValueError("between needs two numbers: [low, high]")
    return (
        (lambda v: v is not None and low <= v <= high),
        f" between {low:g} and {high:g}",
        f"between {low:g} and {high:g}",
    )


def _clock_window(arg):
    start, end = parse_window(arg)
    if start < end:
        test = lambda v: start <= v < end  # noqa: E731
    else:  # crosses midnight
        test = lambda v: v >= start or v < end  # noqa: E731
    span = f"{format_clock(start)}-{format_clock(end)}"
    return test, f" between {span}", f"between {span}"


def _clock_before(arg):
    bound = parse_clock(arg)
    return (lambda v: v < bound), f" before {format_clock(bound)}", f"before {format_clock(bound)}"


def _clock_after(arg):
    bound = parse_clock(arg)
    return (lambda v: v >= bound), f" at or after {format_clock(bound)}", f"at or after {format_clock(bound)}"


def _names(arg) -> frozenset[str]:
    return frozenset(_text(a) for a in _list(arg))


def _set_has(check, wanted: frozenset[str]):
    check.wanted = wanted  # the names a match is about, for its reason (`hazard=gas-smell`)
    return check


def _set_in(arg):
    wanted = _names(arg)
    shown = ", ".join(sorted(wanted))
    return _set_has(lambda v: not wanted.isdisjoint(v), wanted), f" has one of [{shown}]", f"one of {shown}"


def _set_not_in(arg):
    wanted = _names(arg)
    shown = ", ".join(sorted(wanted))
    return (lambda v: wanted.isdisjoint(v)), f" has none of [{shown}]", f"none of {shown}"


def _set_present(arg):
    want = bool(arg)
    return (lambda v: bool(v) == want), (" is set" if want else " is empty"), ("set" if want else "empty")


SET_BUILDERS = {"is": _set_in, "in": _set_in, "is_not": _set_not_in, "not_in": _set_not_in, "present": _set_present}

_CHOICE_TEXT = frozenset({"choice", "text"})
OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in [
        Operator(
            "is",
            frozenset({"choice", "text", "number", "flag", "set"}),
            "equals the value (the default for a plain value); for a set field: has it",
            _is,
        ),
        Operator(
            "is_not",
            frozenset({"choice", "text", "number", "flag", "set"}),
            "differs from the value; set: lacks it",
            _is_not,
        ),
        Operator(
            "in",
            frozenset({"choice", "text", "set"}),
            "is one of a list (the default for a plain list); set: has one",
            _in,
        ),
        Operator("not_in", frozenset({"choice", "text", "set"}), "is none of a list; set: has none of them", _not_in),
        Operator(
            "present", frozenset({"choice", "text", "number", "set"}), "true: has a value; false: is empty", _present
        ),
        Operator("contains", _CHOICE_TEXT, "contains the words (case-insensitive)", _contains),
        Operator("not_contains", _CHOICE_TEXT, "does not contain the words", _not_contains),
        Operator("contains_any", _CHOICE_TEXT, "contains at least one of a list", _contains_any),
        Operator("contains_all", _CHOICE_TEXT, "contains every item of a list", _contains_all),
        Operator("starts_with", _CHOICE_TEXT, "starts with", _starts_with),
        Operator("ends_with", _CHOICE_TEXT, "ends with, e.g. a sender's domain", _ends_with),
        Operator("matches", _CHOICE_TEXT, "regular expression search (case-insensitive)", _matches),
        Operator("lt", frozenset({"number"}), "less than", _compare("<", "below", lambda v, b: v < b)),
        Operator("lte", frozenset({"number"}), "at most", _compare("<=", "at most", lambda v, b: v <= b)),
        Operator("gt", frozenset({"number"}), "greater than", _compare(">", "above", lambda v, b: v > b)),
        Operator("gte", frozenset({"number"}), "at least", _compare(">=", "at least", lambda v, b: v >= b)),
        Operator(
            "between",
            frozenset({"number", "clock"}),
            "[low, high] for numbers; 'HH:MM-HH:MM' for times",
            _between_numbers,
        ),
        Operator("before", frozenset({"clock"}), "earlier than HH:MM", _clock_before),
        Operator("after", frozenset({"clock"}), "at or later than HH:MM", _clock_after),
    ]
}
CLOCK_BUILDERS = {"between": _clock_window}  # same operator name, different meaning for times
