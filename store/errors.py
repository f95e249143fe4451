"""Errors of the store package; one base class so callers can catch the family."""

from intake.core.errors import OperatorError


class StoreError(OperatorError):
    """Base class of store errors."""


class RegistryError(StoreError):
    """The registry file or data is invalid; the message names the file and the problem."""


class IllegalTransition(StoreError):
    """A ticket status change that the lifecycle does not allow."""
