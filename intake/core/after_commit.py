"""Broker messages the lower layers ask for, sent only once the transaction they refer to has committed.

The pipeline's stages, the SLA timers and routing return `AfterCommit` messages (a `Kind` and its arguments)
instead of naming an actor; the top layer (`intake/actors.py`) maps every `Kind` to its actor when it is
imported and refuses to start when one has none (`route`). `send_after_commit` is the one function that sends
them: a failure is only logged, since the database keeps the due work and a sweeper or the reconciler sends it
again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Kind(StrEnum):
    """What to do once committed; the value is the name of the actor that does it."""

    SEND_OUTBOUND = "send_outbound"  # (message id,)
    FETCH_ATTACHMENT = "fetch_attachment"  # (attachment id,)
    CHECK_SLA = "check_sla"  # (ticket id, timer kind, due at ISO), delayed until due
    ESCALATE = "escalate"  # (timer id,)
    ASSIGN_TICKET = "assign_ticket"  # (ticket id,)


@dataclass(frozen=True)
class AfterCommit:
    kind: Kind
    args: tuple[Any, ...]
    delay_ms: int | None = None  # sent to the broker's delay queue (0 included) when set


class Sender(Protocol):
    """What an actor offers to send a message (a `dramatiq.Actor`)."""

    def send_with_options(self, *, args: tuple[Any, ...] = ..., **options: Any) -> Any: ...


_routes: dict[Kind, Sender] = {}


def route(senders: Mapping[Kind, Sender]) -> None:
    """Declare who sends each kind; raises when a kind has no sender (a process must not start that way)."""
    missing = [kind.value for kind in Kind if kind not in senders]
    if missing:
        raise RuntimeError(f"after-commit messages without an actor: {', '.join(missing)}")
    _routes.clear()
    _routes.update(senders)


def send_after_commit(messages: Iterable[AfterCommit], ticket: str = "?") -> None:
    """Send `messages` now that what they refer to is committed; a failure is logged, never raised."""
    for message in messages:
        options = {} if message.delay_ms is None else {"delay": message.delay_ms}
        try:
            _routes[message.kind].send_with_options(args=message.args, **options)
        except Exception as exc:  # the database holds the due work: sweepers and the reconciler re-drive it
            log.warning("ticket %s: could not send %s%s (%s)", ticket, message.kind.value, message.args, exc)
