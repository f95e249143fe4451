"""Compiling a rule's `when:` into a tree of small condition objects, and evaluating it with reasons.

A condition answers fast (`test(view)`, used for every ticket) and explains itself on demand (`reasons`),
so deciding stays cheap while `rules explain` can say, per condition, why a rule did or did not match.
`view` is the dict `RuleEngine.view` makes once per decision: every field, strings lower-cased.
"""

from __future__ import annotations

import re
from typing import Any

from assignment.errors import Problem
from assignment.operators import CLOCK_BUILDERS, OPERATORS, SET_BUILDERS
from assignment.vocabulary import COMBINATORS, FIELDS
from intake.core.marked_yaml import Marks, PathKey
from intake.core.problems import suggest


class Condition:
    """A node of a compiled `when:`: a field test (Leaf) or a combination (All, AnyOf, Not)."""

    def test(self, view: dict) -> bool:
        raise NotImplementedError

    def reasons(self, view: dict) -> tuple[bool, list[str]]:
        """Whether it matches, and one reason per leaf condition (every leaf, no short cut)."""
        raise NotImplementedError

    def why_not(self, view: dict) -> str:
        """The reason of the first failing leaf; only called when `test` is False."""
        return "; ".join(self.reasons(view)[1])

    def failing(self, view: dict) -> Condition | None:
        """None when the condition matches, else the part that failed (whose `why_not` explains it)."""
        return None if self.test(view) else self


class Always(Condition):
    def test(self, view: dict) -> bool:
        return True

    def reasons(self, view: dict) -> tuple[bool, list[str]]:
        return True, ["no conditions: matches every ticket"]


class Broken(Always):
    """Stands in for a condition that had a problem; the rules are rejected anyway, this only keeps checking."""


def _show(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, frozenset):
        return ", ".join(sorted(value)) or "none"
    text = (
        f"{value // 60:02d}:{value % 60:02d}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
    )
    return text if len(text) <= 40 else text[:37] + "…"


class Leaf(Condition):
    __slots__ = ("field", "check", "shown", "wanted", "kind")

    def __init__(self, field: str, check, shown: str, wanted: str, kind: str):
        self.field, self.check, self.shown, self.wanted, self.kind = field, check, shown, wanted, kind

    @property
    def key(self) -> tuple[str, str]:
        """What this test checks, for comparing rules (`subcategory=plumbing`)."""
        return self.field, self.shown

    def test(self, view: dict) -> bool:
        return self.check(view[self.field])

    def reasons(self, view: dict) -> tuple[bool, list[str]]:
        ok = self.check(view[self.field])
        return ok, [self._reason(view, ok)]

    def why_not(self, view: dict) -> str:
        return self._reason(view, False)

    def failing(self, view: dict) -> Condition | None:
        return None if self.check(view[self.field]) else self

    def _reason(self, view: dict, ok: bool) -> str:
        if ok and self.kind == "set" and hasattr(self.check, "wanted"):  # which names: `hazard=gas-smell matched`
            return f"{self.field}={', '.join(sorted(self.check.wanted & view[self.field]))} matched"
        if ok:
            return f"{self.field}{self.shown} matched"
        if self.kind == "text":  # never echo a whole message into a reason
            return f"{self.field} not {self.wanted}"
        return f"{self.field} is {_show(view[self.field])}, not {self.wanted}"


class All(Condition):
    def __init__(self, children: list[Condition]):
        self.children = children

    def test(self, view: dict) -> bool:
        for child in self.children:
            if not child.test(view):
                return False
        return True

    def reasons(self, view: dict) -> tuple[bool, list[str]]:
        results = [child.reasons(view) for child in self.children]
        return all(ok for ok, _ in results), [r for _, rs in results for r in rs]

    def why_not(self, view: dict) -> str:
        return self.failing(view).why_not(view)

    def failing(self, view: dict) -> Condition | None:
        for child in self.children:
            failed = child.failing(view)
            if failed is not None:
                return failed
        return None


class AnyOf(Condition):
    def __init__(self, children: list[Condition]):
        self.children = children

    def test(self, view: dict) -> bool:
        for child in self.children:
            if child.test(view):
                return True
        return False

    def reasons(self, view: dict) -> tuple[bool, list[str]]:
        results = [child.reasons(view) for child in self.children]
        ok = any(r_ok for r_ok, _ in results)
        if ok:
            return True, [r for r_ok, rs in results if r_ok for r in rs]
        return False, ["none of these matched: " + "; ".join(r for _, rs in results for r in rs)]

    def why_not(self, view: dict) -> str:
        return self.reasons(view)[1][0]


class Not(Condition):
    def __init__(self, child: Condition):
        self.child = child

    def test(self, view: dict) -> bool:
        return not self.child.test(view)

    def reasons(self, view: dict) -> tuple[bool, list[str]]:
        ok, reasons = self.child.reasons(view)
        return (not ok), [("not: " if ok else "not (as wanted): ") + "; ".join(reasons)]


class Compiler:
    """Turns raw `when:` data into conditions, collecting every problem with its position."""

    def __init__(self, marks: Marks, problems: list[Problem], known_values: dict[str, tuple[str, ...]] | None = None):
        self.marks, self.problems = marks, problems
        self.known_values = known_values or {}  # e.g. categories from the classifiers' taxonomy.yaml

    def compile(self, raw: Any, path: PathKey) -> Condition:
        if raw is None or raw == {} or raw == "always":
            return Always()
        if isinstance(raw, list):  # a bare list reads as "all of these"
            return All([self.compile(item, path + (i,)) for i, item in enumerate(raw)])
        if not isinstance(raw, dict):
            self._problem(
                path,
                f"a condition must be a mapping of field: test, got {raw!r}",
                "e.g. `when: {subcategory: plumbing}` or `when: always`",
            )
            return Broken()
        parts = [self._entry(key, value, path) for key, value in raw.items()]
        return parts[0] if len(parts) == 1 else All(parts)

    def _entry(self, key: Any, value: Any, path: PathKey) -> Condition:
        here = path + (key,)
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                self._problem(here, f"`{key}` needs a non-empty list of conditions", f"{key}: [{{urgency: urgent}}, …]")
                return Broken()
            children = [self.compile(item, here + (i,)) for i, item in enumerate(value)]
            return All(children) if key == "all" else AnyOf(children)
        if key == "not":
            return Not(self.compile(value, here))
        spec = FIELDS.get(key)
        if spec is None:
            names = list(FIELDS) + list(COMBINATORS)
            hint = suggest(key, names) or f"known fields: {', '.join(FIELDS)}"
            self._problem(here, f"unknown field `{key}`", hint, key=True)
            return Broken()
        if isinstance(value, dict):
            tests = [self._leaf(spec, op, arg, here + (op,)) for op, arg in value.items()]
            return tests[0] if len(tests) == 1 else All(tests)
        if spec.kind == "clock":
            return self._leaf(spec, "between", value, here)
        return self._leaf(spec, "in" if isinstance(value, list) else "is", value, here)

    def _leaf(self, spec, op_name: Any, arg: Any, path: PathKey) -> Condition:
        operator = OPERATORS.get(op_name)
        if operator is None or spec.kind not in operator.kinds:
            valid = [name for name, op in OPERATORS.items() if spec.kind in op.kinds]
            what = "unknown operator" if operator is None else f"operator not valid for a {spec.kind} field:"
            hint = suggest(op_name, valid) or f"operators for `{spec.name}`: {', '.join(valid)}"
            self._problem(path, f"{what} `{op_name}`", hint, key=True)
            return Broken()
        values = spec.values or self.known_values.get(spec.name)
        if values and op_name in ("is", "is_not", "in", "not_in"):
            for value in arg if isinstance(arg, list) else [arg]:
                if str(value).lower() not in values:
                    hint = suggest(str(value).lower(), values) or f"one of {', '.join(values)}"
                    self._problem(path, f"unknown {spec.name} `{value}`", hint)
        if (
            spec.kind == "number"
            and op_name in ("is", "is_not")
            and (isinstance(arg, bool) or not isinstance(arg, (int, float)))
        ):
            self._problem(path, f"`{spec.name}` is a number, got {arg!r}", f"{spec.name}: {{lt: 0.6}}")
            return Broken()
        if spec.kind == "flag" and not isinstance(arg, bool):
            self._problem(path, f"`{spec.name}` is true or false, got {arg!r}", f"{spec.name}: true")
            return Broken()
        build = operator.build
        if spec.kind == "clock":
            build = CLOCK_BUILDERS.get(op_name, build)
        elif spec.kind == "set":
            build = SET_BUILDERS[op_name]
        try:
            check, shown, wanted = build(arg)
        except re.error as exc:
            self._problem(
                path, f"bad regular expression {arg!r}: {exc}", "escape special characters like ( ) . with \\"
            )
            return Broken()
        except ValueError as exc:
            hint = "times are 24-hour HH:MM, ranges HH:MM-HH:MM" if spec.kind == "clock" else None
            self._problem(path, str(exc), hint)
            return Broken()
        return Leaf(spec.name, check, shown, wanted, spec.kind)

    def _problem(self, path: PathKey, message: str, hint: str | None, *, key: bool = False) -> None:
        self.problems.append(self.marks.problem(path, message, hint, key=key))
