"""The three families every error of ours belongs to, by whose move it is (see STYLE.md, after Zulip's gateway):

- `SenderError`: what came in cannot be used (an unparseable mail, a malformed webhook body); logged at info or
  kept in quarantine, maybe answered; never an operator's alarm.
- `OperatorError`: the installation is wrong (rules files, registry, mapping, a command asked for the impossible);
  logged as an error, fixed by a person, retrying does not help.
- `TransientError`: the world is briefly unavailable (a media server, a provider's API); retried with backoff.

Each package keeps its own base class (one `errors.py` per package); those derive from one of these.
"""

from __future__ import annotations


class IntakeError(Exception):
    """Base of the three families."""


class SenderError(IntakeError):
    """The input is at fault: the sender's to fix, or nobody's."""


class OperatorError(IntakeError):
    """The configuration or the request of an operator is at fault: a person must fix it."""


class TransientError(IntakeError):
    """Something we depend on failed for now: trying again later may succeed."""
