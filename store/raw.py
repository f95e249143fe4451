"""Raw inbox: insert once per (channel, channel_id), claim for processing, finish, quarantine, re-drive."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from intake.core.models import RawInput, utcnow
from store.models import RawItem

PENDING, PROCESSED, QUARANTINED = "pending", "processed", "quarantined"


def insert_raw(session: Session, raw: RawInput, *, state: str = PENDING, error: str | None = None) -> tuple[int, bool]:
    """Store a raw item unless its (channel, channel_id) is known. Returns (raw_id, inserted)."""
    values = dict(
        channel=raw.channel.value,
        channel_id=raw.channel_id,
        source=raw.source,
        content_type=raw.content_type,
        payload=raw.payload,
        state=state,
        error=error,
        attempts=0,
        received_at=raw.received_at,
        updated_at=utcnow(),
    )
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(RawItem)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["channel", "channel_id"])
        .returning(RawItem.id)
    )
    inserted_id = session.execute(statement).scalar_one_or_none()
    if inserted_id is not None:
        return inserted_id, True
    existing = session.execute(
        select(RawItem.id).where(RawItem.channel == raw.channel.value, RawItem.channel_id == raw.channel_id)
    ).scalar_one()
    return existing, False


def insert_raws(session: Session, raws: list[RawInput]) -> list[tuple[int, bool]]:
    """`insert_raw` for many items in one multi-row statement (webhook group commits); same answers, in order.

    A (channel, channel_id) repeated within `raws` is inserted once; its later copies report duplicates.
    """
    first: dict[tuple[str, str], int] = {}
    for index, raw in enumerate(raws):
        first.setdefault((raw.channel.value, raw.channel_id), index)
    now = utcnow()
    rows = [
        dict(
            channel=raws[i].channel.value,
            channel_id=raws[i].channel_id,
            source=raws[i].source,
            content_type=raws[i].content_type,
            payload=raws[i].payload,
            state=PENDING,
            error=None,
            attempts=0,
            received_at=raws[i].received_at,
            updated_at=now,
        )
        for i in first.values()
    ]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(RawItem)
        .on_conflict_do_nothing(index_elements=["channel", "channel_id"])
        .returning(RawItem.id, RawItem.channel, RawItem.channel_id)
    )
    # executemany form: SQLAlchemy's "insertmanyvalues" sends few statements and caches their compilation
    inserted = session.execute(statement, rows)
    ids = {(channel, channel_id): (raw_id, True) for raw_id, channel, channel_id in inserted}
    known = [key for key in first if key not in ids]
    if known:
        found = select(RawItem.id, RawItem.channel, RawItem.channel_id).where(
            tuple_(RawItem.channel, RawItem.channel_id).in_(known)
        )
        ids |= {(channel, channel_id): (raw_id, False) for raw_id, channel, channel_id in session.execute(found)}
    results = []
    for index, raw in enumerate(raws):
        key = (raw.channel.value, raw.channel_id)
        raw_id, inserted = ids[key]
        results.append((raw_id, inserted and first[key] == index))
    return results


_LOCK_RAW = select(RawItem).where(RawItem.id == bindparam("raw_id")).with_for_update()


def lock_raw(session: Session, raw_id: int) -> RawItem | None:
    """Load a raw item for update: on PostgreSQL a row lock, on SQLite the caller holds the write lock."""
    return session.execute(_LOCK_RAW, {"raw_id": raw_id}).scalar_one_or_none()


def claim(session: Session, raw_id: int, now: datetime, lease: timedelta) -> int | None:
    """Take the lease on a pending item and count the attempt; None when it is not pending or leased.

    Committed before the work, so a worker that dies mid-item has still used an attempt, and a duplicate
    broker message arriving meanwhile finds the lease taken and leaves the item alone.
    """
    return claim_many(session, [raw_id], now, lease).get(raw_id)


_CLAIM = (
    update(RawItem)
    .where(
        RawItem.id.in_(bindparam("ids", expanding=True)),
        RawItem.state == PENDING,
        or_(RawItem.claimed_until.is_(None), RawItem.claimed_until < bindparam("now")),
    )
    .values(attempts=RawItem.attempts + 1, claimed_until=bindparam("until"), updated_at=bindparam("now"))
    .returning(RawItem.id, RawItem.attempts)
    .execution_options(synchronize_session=False)  # nothing of these rows is loaded in the session yet
)


def claim_many(session: Session, raw_ids: list[int], now: datetime, lease: timedelta) -> dict[int, int]:
    """`claim` for several items in one statement: {raw id: attempts} of those now leased to the caller."""
    rows = session.execute(_CLAIM, {"ids": raw_ids, "now": now, "until": now + lease}).all()
    return dict(rows)


def mark_processed(item: RawItem, outcome: str, now: datetime, ticket_id: str | None = None) -> None:
    item.state, item.outcome, item.error, item.claimed_until = PROCESSED, outcome, None, None
    item.processed_at = item.updated_at = now
    item.ticket_id = ticket_id


def mark_failed(session: Session, raw_id: int, error: str, max_attempts: int, now: datetime) -> str:
    """Record a failed attempt; after `max_attempts` the item is quarantined. Returns the new state."""
    item = session.get(RawItem, raw_id)
    if item is None or item.state != PENDING:
        return item.state if item else "missing"
    item.error = error[:4000]
    item.updated_at = now
    item.claimed_until = None  # released: the broker's retry (or the reconciler) may claim it again
    if item.attempts >= max_attempts:
        item.state = QUARANTINED
    return item.state


def quarantine(item: RawItem, reason: str, now: datetime) -> None:
    item.state, item.error, item.updated_at, item.claimed_until = QUARANTINED, reason[:4000], now, None


def resend_candidates(
    session: Session,
    older_than: timedelta,
    lease: timedelta,
    now: datetime,
    limit: int = 500,
    after: tuple[int, str | None] | None = None,
) -> list[tuple[int, str | None]]:
    """Pending items nobody touched for `older_than` and nobody holds (their broker message may be lost) whose
    last broker message (if any) was sent longer than `lease` ago, with that message's id: (raw id, message id or
    None). A younger message may still be waiting for a worker.

    Items that never got a message come first (nothing to ask the broker about), then by id; `after` (the last
    row of the previous page) pages on, past items whose message the broker still holds."""
    cutoff = now - older_than
    unclaimed = or_(RawItem.claimed_until.is_(None), RawItem.claimed_until < now)
    unsent_lately = or_(RawItem.enqueued_at.is_(None), RawItem.enqueued_at < now - lease)
    has_message = RawItem.enqueued_message.is_not(None)
    query = (
        select(RawItem.id, RawItem.enqueued_message)
        .where(RawItem.state == PENDING, RawItem.updated_at < cutoff, unclaimed, unsent_lately)
        .order_by(has_message, RawItem.id)
        .limit(limit)
    )
    if after is not None:
        last_id, last_message = after
        later = and_(has_message, RawItem.id > last_id)
        query = query.where(
            later if last_message is not None else or_(and_(~has_message, RawItem.id > last_id), has_message)
        )
    return [(raw_id, message_id) for raw_id, message_id in session.execute(query)]


_MARK_ENQUEUED = (
    update(RawItem)
    .where(RawItem.id == bindparam("raw_id"))
    .values(enqueued_at=bindparam("at"), enqueued_message=bindparam("message_id"))
)


def mark_enqueued(session: Session, sent: dict[str, list[int]], now: datetime) -> None:
    """Remember the broker message each item was last sent in ({message id: raw ids}), and when."""
    rows = [
        {"raw_id": raw_id, "message_id": message_id, "at": now} for message_id, ids in sent.items() for raw_id in ids
    ]
    if rows:
        session.connection().execute(_MARK_ENQUEUED, rows)


def release_for_retry(session: Session, raw_ids: list[int]) -> int:
    """Put quarantined items back to pending with a fresh attempt budget (`intake quarantine retry`)."""
    if not raw_ids:
        return 0
    result = session.execute(
        update(RawItem)
        .where(RawItem.id.in_(raw_ids), RawItem.state == QUARANTINED)
        .values(state=PENDING, attempts=0, claimed_until=None, updated_at=utcnow())
    )
    return result.rowcount or 0
