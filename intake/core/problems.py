"""A located mistake in a configuration file, and how pydantic's validation errors become such mistakes.

Shared by every YAML file in `rules/` (assignment rules and classifier vocabulary alike), so `intake rules
check` reports them all in one format: `file:line:column: message (hint: …)`.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError


class Problem(BaseModel):
    """One mistake in a rules file, located for a human to fix (line and column are 1-based; 0 = unknown)."""

    file: str
    line: int = 0
    column: int = 0
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.message}" + (f" (hint: {self.hint})" if self.hint else "")


def suggest(word: Any, choices) -> str | None:
    """A "did you mean" hint for a misspelt name, or None."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


_HINTS = {
    "string_pattern_mismatch": "names are stable kebab-case: lower-case words joined by '-', e.g. plumbing-specialist",
    "missing": "add this field",
}


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) in (typing.Union, types.UnionType, typing.Annotated):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return annotation


def fields_at(model: Any, loc: tuple) -> list[str]:
    """Field names allowed at `loc` (a pydantic error location), for "did you mean" hints."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items() if part in (n, f.alias)), None)
            if field is None:
                return []
            current = field.annotation
        elif typing.get_origin(current) in (list, dict):
            current = typing.get_args(current)[-1]
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def problem_from_error(error: dict, model: type[BaseModel], marks) -> Problem:
    """One pydantic error (from `ValidationError.errors()`) as a Problem at the value (or key) it is about."""
    loc = tuple(
        part for part in error["loc"] if not (isinstance(part, str) and ("[" in part or part.startswith("function-")))
    )
    message, kind = error["msg"].removeprefix("Value error, "), error["type"]
    is_key = bool(error["loc"]) and error["loc"][-1] == "[key]"  # a bad mapping key: point at the key itself
    hint = _HINTS.get(kind)
    if kind == "extra_forbidden":
        allowed = fields_at(model, loc[:-1])
        hint = suggest(loc[-1], allowed) or (f"allowed here: {', '.join(allowed)}" if allowed else None)
        return marks.problem(loc, f"unknown field `{loc[-1]}`", hint, key=True)
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", error.get("ctx", {}).get("expected", ""))
        hint = suggest(error.get("input"), choices) or f"one of {', '.join(choices)}"
        message = f"unknown value `{error.get('input')}`"
    if kind == "value_error" and ": " in message:  # our validators write "what is wrong: what to write instead"
        message, hint = message.split(": ", 1)
    if kind == "missing":
        return marks.problem(loc[:-1], f"missing field `{loc[-1]}`", hint)
    return marks.problem(loc, message, hint, key=is_key)


def validate(data: Any, model: type[BaseModel], marks) -> tuple[BaseModel | None, list[Problem]]:
    """`data` (a file's top level) as `model`, or None and every validation error as a located Problem."""
    if not isinstance(data, dict):
        return None, [marks.problem((), "the file must be a mapping at the top level", "see rules/README.md")]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, [problem_from_error(error, model, marks) for error in exc.errors()]
