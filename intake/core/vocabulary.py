"""The words every layer shares, each defined once: urgency levels and ticket priorities, ticket statuses and
the groups the code asks about, and the ticket-number prefix of each channel.

Rules files, the classifier, the store and the commands all name these; a new status or channel is added here
(and, for a status, its transitions in `store/lifecycle.py`).
"""

from __future__ import annotations

from enum import StrEnum

from intake.core.models import ChannelName

URGENCY_LEVELS: tuple[str, ...] = ("urgent", "high", "standard", "low")  # most to least urgent
# Tickets store priorities upper-case (URGENT…LOW); rules and the classifier write the urgency level.
PRIORITY_BY_URGENCY: dict[str, str] = {"urgent": "URGENT", "high": "HIGH", "standard": "STANDARD", "low": "LOW"}


def priority_of(urgency: str | None) -> str | None:
    """The ticket priority (URGENT/HIGH/STANDARD/LOW) for an urgency level; None for none or an unknown one."""
    return PRIORITY_BY_URGENCY.get(urgency or "")


class TicketStatus(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    PENDING = "pending"  # waiting on the tenant or on parts: SLA clocks pause
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    MERGED = "merged"  # its messages moved to another ticket (`intake tickets merge`); final


_S = TicketStatus
STATUSES: tuple[str, ...] = tuple(status.value for status in TicketStatus)
OPEN_STATUSES = frozenset({_S.NEW, _S.TRIAGED, _S.ASSIGNED, _S.IN_PROGRESS, _S.PENDING})
DONE_STATUSES = frozenset({_S.RESOLVED, _S.CLOSED, _S.CANCELLED, _S.MERGED})  # no clock runs, no timer fires
# Nobody is on the ticket yet: the rules may still route it (and do, once a person finished its triage).
ROUTABLE_STATUSES = frozenset({_S.NEW, _S.TRIAGED})

# Tickets opened from a channel are numbered PREFIX-000123.
TICKET_PREFIXES: dict[ChannelName, str] = {
    ChannelName.EMAIL: "EML",
    ChannelName.WHATSAPP: "WA",
    ChannelName.WAHA: "WA",
    ChannelName.QCONTACT: "QC",
    ChannelName.INTERNAL: "INT",
}
CHANNELS: tuple[str, ...] = tuple(channel.value for channel in ChannelName)
