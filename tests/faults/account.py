"""The database's own account of what became of each item the fault run sent, per channel id."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select

from store.db import Database
from store.models import RawItem, TicketMessage


@dataclass
class Account:
    """The database's account, per channel id of what was sent."""

    stored: Counter  # state -> raw items
    messages: Counter  # channel id -> inbound ticket messages made from it
    raw_items: Counter  # channel id -> raw items

    def lost(self, expected: list[str]) -> list[str]:
        return [cid for cid in expected if self.messages[cid] == 0]

    def duplicated(self, expected: list[str]) -> list[str]:
        return [cid for cid in expected if self.messages[cid] > 1 or self.raw_items[cid] > 1]


def account(url: str, ids: list[str]) -> Account:
    db = Database(url)
    try:
        with db.session() as session:
            rows = session.execute(select(RawItem.channel_id, RawItem.state).where(RawItem.channel_id.in_(ids))).all()
            made = session.execute(
                select(RawItem.channel_id, func.count(TicketMessage.id))
                .join(TicketMessage, TicketMessage.raw_id == RawItem.id)
                .where(RawItem.channel_id.in_(ids), TicketMessage.direction == "inbound")
                .group_by(RawItem.channel_id)
            ).all()
    finally:
        db.dispose()
    return Account(
        stored=Counter(state for _, state in rows),
        messages=Counter(dict(made)),
        raw_items=Counter(cid for cid, _ in rows),
    )


def wait_for_processing(url: str, ids: list[str], timeout: float) -> Account:
    """Poll the database (bounded) until every id has made its message; the last account either way."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            current = account(url, ids)
        except Exception:  # the database may still be coming back
            current = None
        if current and not current.lost(ids) or time.monotonic() > deadline:
            return current or account(url, ids)
        time.sleep(1)
