"""Errors of the rules engine: one base class, and the list of problems a rules directory can have.

Loading never stops at the first mistake: every problem found is collected with file:line:column and a hint,
so `intake rules check` can show them all at once.
"""

from __future__ import annotations

from pydantic import BaseModel


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


class AssignmentError(Exception):
    """Base class of everything the assignment package raises."""


class RulesError(AssignmentError):
    """The rules directory is invalid; `problems` says every place and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems) or "invalid rules")
