"""Errors of the classification stage; one base class so callers can catch the family."""

from __future__ import annotations


class ClassifierError(Exception):
    """Base class of classifier errors."""


class ClassifierConfigError(ClassifierError):
    """A rules file is invalid; the message starts with `file:line:` and says what is wrong."""
