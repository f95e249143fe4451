"""Named cursors that pollers resume from; written in the same transaction as what they cover."""

from __future__ import annotations

from sqlalchemy.orm import Session

from intake.core.models import utcnow
from store.models import Cursor


def get_cursor(session: Session, name: str) -> str | None:
    row = session.get(Cursor, name)
    return row.value if row else None


def set_cursor(session: Session, name: str, value: str) -> None:
    row = session.get(Cursor, name)
    if row is None:
        session.add(Cursor(name=name, value=value, updated_at=utcnow()))
    else:
        row.value, row.updated_at = value, utcnow()
