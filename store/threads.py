"""What threading and follow-ups read of the store: a sender's lock, the tickets a new message may continue
(thread candidates, open tickets of a unit) and the ticket a follow-up joins.

The statements run for every message are built once, with bound parameters (see `store/tickets.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, case, exists, func, literal, or_, select, type_coerce, union
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from intake.core.models import ChannelName, ThreadCandidate
from intake.core.vocabulary import OPEN_STATUSES
from store.models import Ticket, TicketEvent, TicketMessage
from store.tickets import merged_into

_SENDER_LOCK = select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("key"), 0)))


def lock_sender(session: Session, channel: str, sender: str) -> None:
    """Serialise the thread-and-persist decisions of one sender until the transaction ends, so two messages
    of one conversation processed at once cannot both open a ticket. PostgreSQL: a transaction advisory lock;
    SQLite already runs each item under the database's write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_SENDER_LOCK, {"key": f"sender:{channel}:{sender}"})


def thread_candidates(
    session: Session,
    *,
    channel: ChannelName,
    sender: str,
    message_ids: list[str],
    ticket_reference: str | None,
    external_ticket_id: str | None,
    since: datetime,
    subject_matches: Callable[[str | None], bool] | None = None,
    limit: int = 20,
    subject_scan: int = 200,
) -> list[ThreadCandidate]:
    """Tickets a new message could belong to: referenced ones first, then the sender's recent ones (as
    requester, author or recipient of a message) and, when `subject_matches` is given, recent tickets of the
    channel whose subject it accepts (only the `subject_scan` most recently active are looked at)."""
    similar = _similar_subject_ids(session, channel, since, subject_matches, subject_scan) if subject_matches else []
    tickets = list(
        session.execute(
            _candidates_statement(session.get_bind().dialect.name),
            {
                "reference": ticket_reference.upper() if ticket_reference else None,
                "external": external_ticket_id,
                "message_ids": message_ids,
                "sender": sender,
                "recipient": _recipient_param(session, sender),
                "since": since,
                "similar": similar,
                "limit": limit,
            },
        ).scalars()
    )
    links = _message_links(session, [ticket.id for ticket in tickets])
    # held for `for_follow_up` in this transaction: the identity map keeps only weak references
    session.info[_CANDIDATES_KEY] = (session.get_transaction(), tickets)
    return [to_candidate(ticket, links.get(ticket.id, [])) for ticket in tickets]


@cache
def _candidates_statement(dialect: str):
    """The candidates query, built once per dialect. A link the message itself names (ticket reference,
    provider ticket id, Message-ID) sorts first, so the sender's other tickets never crowd it out; a link the
    message does not carry is a NULL or empty parameter that matches nothing.

    Each link is its own indexed branch of a UNION: one OR over them made PostgreSQL scan every ticket ever
    opened for every mail (21 ms a mail at 40,000 tickets)."""
    by_message_id = select(TicketMessage.ticket_id).where(
        TicketMessage.message_id_header.in_(bindparam("message_ids", expanding=True))
    )
    linked = union(
        select(Ticket.id).where(Ticket.number == bindparam("reference")),
        select(Ticket.id).where(Ticket.external_ticket_id == bindparam("external")),
        by_message_id,
        select(Ticket.id).where(Ticket.requester == bindparam("sender")),
        select(TicketMessage.ticket_id).where(
            TicketMessage.author == bindparam("sender"), TicketMessage.created_at >= bindparam("since")
        ),
        _received_by(dialect),
        select(Ticket.id).where(Ticket.id.in_(bindparam("similar", expanding=True))),
    )
    strong = or_(
        Ticket.number == bindparam("reference"),
        Ticket.external_ticket_id == bindparam("external"),
        Ticket.id.in_(by_message_id),
    )
    return (
        select(Ticket)
        .where(Ticket.id.in_(linked))
        .order_by(case((strong, 0), else_=1), Ticket.last_activity_at.desc())
        .limit(bindparam("limit"))
    )


_MESSAGE_LINKS = (
    select(
        TicketMessage.ticket_id,
        TicketMessage.author,
        TicketMessage.recipients,
        TicketMessage.message_id_header,
        TicketMessage.channel_message_id,
    )
    .where(TicketMessage.ticket_id.in_(bindparam("ids", expanding=True)))
    .order_by(TicketMessage.id)
)


def _message_links(session: Session, ticket_ids: list[str]) -> dict[str, list]:
    """Per ticket, what threading needs of its messages (who wrote, who got them, their ids) in message order:
    the columns only, so a long conversation's texts are never loaded to thread one more mail."""
    if not ticket_ids:
        return {}
    links: dict[str, list] = {}
    for row in session.execute(_MESSAGE_LINKS, {"ids": ticket_ids}):
        links.setdefault(row.ticket_id, []).append(row)
    return links


def _received_by(dialect: str):
    """Ids of tickets with a message since `:since` that had `:recipient` among its recipients (To/Cc): how a
    tenant who was only copied on a thread is recognised when they reply. The JSON list is searched with
    each dialect's own operator (PostgreSQL `@>` on JSONB, SQLite `json_each`)."""
    query = select(TicketMessage.ticket_id).where(TicketMessage.created_at >= bindparam("since"))
    if dialect == "postgresql":
        return query.where(type_coerce(TicketMessage.recipients, JSONB).contains(bindparam("recipient", type_=JSONB)))
    each = func.json_each(TicketMessage.recipients).table_valued("value")
    return query.where(exists(select(literal(1)).select_from(each).where(each.c.value == bindparam("recipient"))))


def _recipient_param(session: Session, address: str):
    """`:recipient` as `_received_by` compares it: a one-address JSON list for `@>`, the address for SQLite."""
    return [address] if session.get_bind().dialect.name == "postgresql" else address


_RECENT_SUBJECTS = (
    select(Ticket.id, Ticket.subject)
    .where(Ticket.channel == bindparam("channel"), Ticket.last_activity_at >= bindparam("since"))
    .order_by(Ticket.last_activity_at.desc())
    .limit(bindparam("scan"))
)


def _similar_subject_ids(
    session: Session, channel: ChannelName, since: datetime, matches: Callable[[str | None], bool], scan: int
) -> list[str]:
    """Ids of the channel's most recently active tickets (at most `scan`, active since `since`) whose subject
    `matches` accepts: candidates for a stranger writing about the same thing (probable follow-up)."""
    rows = session.execute(_RECENT_SUBJECTS, {"channel": channel.value, "since": since, "scan": scan})
    return [ticket_id for ticket_id, subject in rows if matches(subject)]


_UNIT_TICKETS = (
    select(Ticket)
    .where(
        Ticket.status.in_(sorted(OPEN_STATUSES)),
        Ticket.property_id == bindparam("property_id"),
        func.lower(Ticket.unit) == bindparam("unit"),
        Ticket.last_activity_at >= bindparam("since"),
    )
    .order_by(Ticket.last_activity_at.desc())
    .limit(bindparam("limit"))
)


def open_unit_candidates(
    session: Session, property_id: str, unit: str, since: datetime, limit: int = 5
) -> list[ThreadCandidate]:
    """The open tickets about one unit active since `since` (most recent first), as thread candidates: what a
    flatmate or partner writing from another address may be following up (see pipeline/followup.py)."""
    tickets = list(
        session.execute(
            _UNIT_TICKETS, {"property_id": property_id, "unit": unit.lower(), "since": since, "limit": limit}
        ).scalars()
    )
    links = _message_links(session, [ticket.id for ticket in tickets])
    return [to_candidate(ticket, links.get(ticket.id, [])) for ticket in tickets]


def to_candidate(ticket: Ticket, messages=None) -> ThreadCandidate:
    """A snapshot of a ticket for threading; `messages` are its message rows (or the loaded messages)."""
    messages = ticket.messages if messages is None else messages
    participants: list[str] = []
    for message in messages:
        for address in [message.author, *(message.recipients or [])]:
            if address and address not in participants:
                participants.append(address)
    if ticket.requester and ticket.requester not in participants:
        participants.insert(0, ticket.requester)
    return ThreadCandidate(
        ticket_number=ticket.number,
        status=ticket.status,
        channel=ChannelName(ticket.channel),
        subject=ticket.subject,
        participants=participants,
        message_ids=[m.message_id_header for m in messages if m.message_id_header],
        channel_message_ids=[m.channel_message_id for m in messages if m.channel_message_id],
        external_ticket_id=ticket.external_ticket_id,
        property_id=ticket.property_id,
        unit=ticket.unit,
        category=ticket.category,
        subcategory=ticket.subcategory,
        created_at=ticket.created_at,
        last_activity_at=ticket.last_activity_at,
        last_inbound_at=ticket.last_inbound_at,
    )


_FOR_FOLLOW_UP = select(Ticket).where(Ticket.number == bindparam("number")).options(selectinload(Ticket.events))
_EVENTS_OF = select(TicketEvent).where(TicketEvent.ticket_id == bindparam("ticket_id")).order_by(TicketEvent.id)
_CANDIDATES_KEY = "thread_candidates"  # session.info: (transaction, the tickets `thread_candidates` loaded in it)


def for_follow_up(session: Session, number: str) -> Ticket | None:
    """A ticket with what a follow-up reads and writes: its timeline. Its messages stay unloaded (a new one
    is appended without reading them); the follow-up reads their texts with `inbound_texts`.
    A ticket `thread_candidates` loaded in this transaction is not read again: only its timeline is."""
    number = number.upper()
    transaction, loaded = session.info.get(_CANDIDATES_KEY, (None, ()))
    if transaction is not session.get_transaction():
        loaded = ()
    ticket = next((t for t in loaded if t.number == number), None)
    if ticket is None:
        return session.execute(_FOR_FOLLOW_UP, {"number": number}).scalar_one_or_none()
    if "events" not in ticket.__dict__:  # not loaded yet (a new event would otherwise trigger a lazy load)
        events = session.execute(_EVENTS_OF, {"ticket_id": ticket.id}).scalars().all()
        set_committed_value(ticket, "events", list(events))
    return ticket


_LOCKED_FOR_FOLLOW_UP = _FOR_FOLLOW_UP.with_for_update().execution_options(populate_existing=True)


def lock_for_follow_up(session: Session, number: str) -> Ticket | None:
    """The ticket a follow-up is appended to, locked and read afresh (FOR UPDATE on PostgreSQL; SQLite serialises
    writers anyway): a copy loaded earlier in the transaction may predate a merge or another follow-up's emergency
    notice. A ticket merged meanwhile gives the ticket its messages went to, locked in turn."""
    ticket = session.execute(_LOCKED_FOR_FOLLOW_UP, {"number": number.upper()}).scalar_one_or_none()
    if ticket is not None and ticket.status == "merged":
        into = merged_into(session, ticket.number)
        if into is not None:
            return session.execute(_LOCKED_FOR_FOLLOW_UP, {"number": into}).scalar_one_or_none() or ticket
    return ticket
