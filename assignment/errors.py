"""Errors of the rules engine: one base class, and the list of problems a rules directory can have.

Loading never stops at the first mistake: every problem found is collected with file:line:column and a hint,
so `intake rules check` can show them all at once.
"""

from __future__ import annotations

from intake.core.errors import OperatorError
from intake.core.problems import Problem

__all__ = ["AssignmentError", "Problem", "RulesError"]


class AssignmentError(OperatorError):
    """Base class of everything the assignment package raises."""


class RulesError(AssignmentError):
    """The rules directory is invalid; `problems` says every place and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems) or "invalid rules")
