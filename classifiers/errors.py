"""Errors of the classification stage; one base class so callers can catch the family."""

from __future__ import annotations

from collections.abc import Iterable

from intake.core.errors import OperatorError
from intake.core.problems import Problem


class ClassifierError(OperatorError):
    """Base class of classifier errors."""


class ClassifierConfigError(ClassifierError):
    """The rules files are invalid: `problems` locates each mistake; the message lists them, one a line,
    each starting with `file:line:column:`."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid classifier rules")
