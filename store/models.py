"""The database schema (SQLAlchemy 2.0 typed ORM). Alembic migrations in `store/migrations` mirror it.

Raw items come first (stored before anything else happens); tickets, their messages, events and
attachments are what processing makes of them; the registry tables hold properties, units and tenants.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.core.models import utcnow
from store.columns import Base, BigId, ClippedString, new_uuid


class RawItem(Base):
    """Every inbound item exactly as it arrived; unique on (channel, channel_id) so redelivery is a no-op."""

    __tablename__ = "raw_items"
    __table_args__ = (
        UniqueConstraint("channel", "channel_id", name="uq_raw_items_channel_id"),
        Index("ix_raw_items_state_updated", "state", "updated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    channel_id: Mapped[str] = mapped_column(String(998))
    source: Mapped[str | None] = mapped_column(ClippedString(200))  # a long file path must not refuse the item
    content_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending / processed / quarantined
    outcome: Mapped[str | None] = mapped_column(String(200))  # what processing made of it, for the audit
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None]  # a worker's lease on the item; expired leases can be re-driven
    # the broker message last sent for it, and when: the reconciler sends another only once that one is gone
    enqueued_at: Mapped[datetime | None]
    enqueued_message: Mapped[str | None] = mapped_column(String(36))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id"))


class Counter(Base):
    """Per-prefix sequence for human ticket numbers (EML-000123); one row per prefix."""

    __tablename__ = "counters"

    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status", "status"),
        Index("ix_tickets_requester", "requester", "created_at"),
        Index("ix_tickets_channel_activity", "channel", "last_activity_at"),  # threading's similar-subject scan
        Index("ix_tickets_emergency_state", "emergency_state"),  # the triage queue's pinned rows
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="new")
    subject: Mapped[str | None] = mapped_column(ClippedString(500))
    requester: Mapped[str | None] = mapped_column(String(320))  # email address, E.164 phone, contact id
    requester_name: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(40))
    subcategory: Mapped[str | None] = mapped_column(String(40))
    urgency: Mapped[str | None] = mapped_column(String(20))
    priority: Mapped[str | None] = mapped_column(String(20))
    property_id: Mapped[str | None] = mapped_column(String(40))
    unit: Mapped[str | None] = mapped_column(String(40))
    billing_type: Mapped[str | None] = mapped_column(String(20))
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    estimated_cost: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    confidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    review_reasons: Mapped[list[Any]] = mapped_column(default=list)
    team: Mapped[str | None] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(100))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    external_ticket_id: Mapped[str | None] = mapped_column(String(100), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(200), index=True)
    probable_followup_of: Mapped[str | None] = mapped_column(String(20))
    # the safety net (issue #16): open (pinned in the triage queue) / confirmed / cleared; None: never flagged
    emergency_state: Mapped[str | None] = mapped_column(String(12))
    emergency_reasons: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    emergency_settled_by: Mapped[str | None] = mapped_column(String(200))
    emergency_settled_at: Mapped[datetime | None]
    emergency_settled_why: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_inbound_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    first_response_due: Mapped[datetime | None]
    resolution_due: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="ticket", order_by="TicketMessage.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )


class TicketMessage(Base):
    """One message on a ticket, either direction. `raw_id` is unique: a raw item makes at most one message."""

    __tablename__ = "ticket_messages"
    __table_args__ = (
        # threading looks up a sender's recent messages as author, and (PostgreSQL) as a To/Cc recipient
        Index("ix_ticket_messages_author", "author", "created_at"),
        Index("ix_ticket_messages_recipients", "recipients", postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    raw_id: Mapped[int | None] = mapped_column(ForeignKey("raw_items.id"), unique=True)
    direction: Mapped[str] = mapped_column(String(10))  # inbound / outbound
    channel: Mapped[str] = mapped_column(String(20))
    author: Mapped[str | None] = mapped_column(String(320))
    author_name: Mapped[str | None] = mapped_column(String(200))
    recipients: Mapped[list[Any]] = mapped_column(default=list)
    subject: Mapped[str | None] = mapped_column(ClippedString(500))
    text: Mapped[str] = mapped_column(Text, default="")
    full_text: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str | None] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    channel_message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    message_id_header: Mapped[str | None] = mapped_column(String(998), index=True)
    thread_signal: Mapped[str | None] = mapped_column(String(100))
    delivery_status: Mapped[str | None] = mapped_column(
        String(20)
    )  # outbound: queued/sent/delivered/read/failed/bounced
    delivery_error: Mapped[str | None] = mapped_column(Text)
    delivery_attempts: Mapped[int] = mapped_column(default=0, server_default="0")  # outbound: sends tried so far
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)  # written by us, not a person (acknowledgements)
    raw_mime: Mapped[bytes | None] = mapped_column(LargeBinary)  # outbound email exactly as sent
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="message", cascade="all, delete-orphan")


class TicketEvent(Base):
    """The timeline and audit trail: who (system, a rule's name, a user) changed what, and why."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class Attachment(Base):
    """An attachment's metadata; stored bytes live under data_dir, named by their sha256."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("ticket_messages.id"), index=True)
    name: Mapped[str] = mapped_column(ClippedString(500))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    stored: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    media_id: Mapped[str | None] = mapped_column(String(1000))

    message: Mapped[TicketMessage] = relationship(back_populates="attachments")


class PropertyRow(Base):
    __tablename__ = "properties"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order in the registry file
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    contract_starts: Mapped[date | None] = mapped_column(Date)
    contract_ends: Mapped[date | None] = mapped_column(Date)
    guarantees: Mapped[list[Any]] = mapped_column(default=list)


class UnitRow(Base):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("property_id", "unit", name="uq_units_property_unit"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    unit: Mapped[str] = mapped_column(String(40))


class ContactRow(Base):
    """A tenant: the contact details that identify a sender, and the tenancy they belong to."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    unit: Mapped[str] = mapped_column(String(40))


class FeeRow(Base):
    __tablename__ = "fees"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subcategory: Mapped[str] = mapped_column(String(40))
    urgency: Mapped[str | None] = mapped_column(String(20))
    amount: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3), default="USD")


class Cursor(Base):
    """Small named positions that pollers resume from (QContact since-cursor, round-robin pointers)."""

    __tablename__ = "cursors"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailboxState(Base):
    """IMAP position per mailbox: UIDVALIDITY and the highest UID whose raw bytes are committed."""

    __tablename__ = "mailbox_state"

    mailbox: Mapped[str] = mapped_column(String(200), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaTimer(Base):
    """An SLA/escalation timer: the due time lives here (Redis keeps nothing on disk); the broker message is a
    delayed nudge. One row per (ticket, kind, level), so scheduling again updates instead of duplicating."""

    __tablename__ = "sla_timers"
    __table_args__ = (
        UniqueConstraint("ticket_id", "kind", "level", name="uq_sla_timers_ticket_kind_level"),
        Index("ix_sla_timers_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # first_response_warn … unassigned_urgent
    target: Mapped[str] = mapped_column(String(20))  # first_response / resolution / unassigned
    level: Mapped[int] = mapped_column(Integer, default=0)  # 1 for L1 …; 0 when the step has no level
    due_at: Mapped[datetime]
    action: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the EscalationAction as planned
    state: Mapped[str] = mapped_column(String(12), default="scheduled")  # scheduled / fired / cancelled / skipped
    sent_at: Mapped[datetime | None]  # last time a broker message was sent for it
    fired_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(Text)
