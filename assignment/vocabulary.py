"""The vocabulary rule files may use: ticket fields, condition operators and actions, declared in code.

YAML only names these; loading checks every name against this registry (with a "did you mean") so a typo is
caught by `intake rules check`, never at 3 a.m. `describe_vocabulary()` prints it for ops and editors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assignment.hours import DAYS, format_clock, parse_clock, parse_window
from intake.core.vocabulary import CHANNELS, STATUSES, URGENCY_LEVELS

BILLING_TYPES = ("guarantee", "sla", "billable")
CONTRACT_STATUSES = ("active", "expired", "upcoming", "none")
# What the classifier notices besides the hazards (urgency.yaml's word lists), as it reports them in its evidence
# (`signal:NAME`); classifiers.signals.SIGNALS is the other half of this contract, a test keeps them equal.
SIGNALS = ("minor", "not-urgent", "recurring", "resolved", "vulnerable")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # choice | text | number | flag | clock | set (names the ticket may have several of)
    description: str
    values: tuple[str, ...] | None = None  # the closed set of values, when there is one


FIELDS: dict[str, FieldSpec] = {
    f.name: f
    for f in [
        FieldSpec(
            "category", "choice", "classified category (rules/taxonomy.yaml), e.g. maintenance, complaint, payment"
        ),
        FieldSpec("subcategory", "choice", "classified subcategory (rules/taxonomy.yaml), e.g. plumbing, noise"),
        FieldSpec("urgency", "choice", "classified urgency", URGENCY_LEVELS),
        FieldSpec("priority", "choice", "priority already on the ticket (or set by an earlier rule)", URGENCY_LEVELS),
        FieldSpec("property", "choice", "property id from the registry, e.g. HBR"),
        FieldSpec("unit", "choice", "unit id within the property, e.g. 101"),
        FieldSpec("channel", "choice", "where the message came from", CHANNELS),
        FieldSpec("billing_type", "choice", "guarantee, sla (under contract) or billable", BILLING_TYPES),
        FieldSpec(
            "contract",
            "choice",
            "the property's service contract in force when the ticket came in, named "
            "PROPERTY-STARTDATE (e.g. HBR-2026-01-01); unset outside a contract",
        ),
        FieldSpec(
            "contract_status", "choice", "the property's service contract on the ticket's date", CONTRACT_STATUSES
        ),
        FieldSpec("status", "choice", "ticket status", STATUSES),
        FieldSpec("team", "choice", "team already on the ticket"),
        FieldSpec("assignee", "choice", "person already on the ticket"),
        FieldSpec("sender", "text", "sender's email address or phone number"),
        FieldSpec("text", "text", "subject and message text together"),
        FieldSpec("subject", "text", "subject line (email)"),
        FieldSpec(
            "hazard",
            "set",
            "dangers the classifier found and did not see negated or resolved "
            "(rules/urgency.yaml `hazards:`), e.g. gas-smell, fire-smoke, carbon-monoxide",
        ),
        FieldSpec(
            "signal",
            "set",
            "what else the classifier noticed: a vulnerable occupant, the sender says it is "
            "not urgent, it is resolved, it is recurring, it is minor",
            SIGNALS,
        ),
        FieldSpec("confidence", "number", "overall classification confidence, 0 to 1 (lowest of the fields)"),
        FieldSpec("needs_review", "flag", "the classifier asked for a human to check"),
        FieldSpec("time_of_day", "clock", "local time of the decision, in the default calendar's time zone"),
        FieldSpec("weekday", "choice", "local day of the decision: mon … sun", DAYS),
        FieldSpec("business_hours", "flag", "the default calendar is open (working hours, not a holiday)"),
    ]
}


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

ACTIONS: dict[str, str] = {
    "assign": "team and/or person; `pick: least_loaded | round_robin | none`; `specialist: SKILL | true`",
    "priority": "set the priority: urgent, high, standard or low",
    "tags": "add tags to the ticket",
    "triage": "true: send to the human triage queue",
    "require_approval": "true: billable work needs billing approval before dispatch",
    "notify": "people, teams or escalation roles to notify",
}
COMBINATORS = ("all", "any", "not")


def describe_vocabulary(known: dict[str, tuple[str, ...]] | None = None) -> str:
    """The exported vocabulary as text, for `intake rules vocabulary` and the README. `known`: values the rules
    folder defines (categories, hazards…, see `assignment.loader.known_values`), listed with their field."""
    known = known or {}
    lines = ["Fields:"]
    for f in FIELDS.values():
        values = f.values or known.get(f.name)
        lines.append(f"  {f.name:<15} {f.kind:<7} {f.description}" + (f" ({', '.join(values)})" if values else ""))
    lines.append("Operators:")
    lines += [f"  {o.name:<13} {'/'.join(sorted(o.kinds)):<20} {o.description}" for o in OPERATORS.values()]
    lines.append("Actions:")
    lines += [f"  {name:<17} {text}" for name, text in ACTIONS.items()]
    return "\n".join(lines)
