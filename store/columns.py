"""The schema's building blocks: column types that behave alike on PostgreSQL and SQLite, and the declarative
base every table derives from (`store/models.py`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase


class ClippedString(TypeDecorator):
    """A bounded text column that clips what does not fit (PostgreSQL would refuse it, SQLite keep it): a
    spam subject of 2,000 characters must not quarantine the mail; the raw item keeps every byte anyway."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        limit = self.impl.length
        if value is None or len(value) <= limit:
            return value
        return value[: limit - 1] + "…"


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both dialects (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Json = JSON().with_variant(JSONB(), "postgresql")
BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only auto-increments INTEGER PRIMARY KEY


def new_uuid() -> str:
    return str(uuid.uuid4())


def exists_on(dialect: str, schema_object) -> bool:
    """Whether a schema object is made on this dialect: some indexes are PostgreSQL-only (`ddl_if`), which
    Alembic's comparison does not know (used by the migrations' autogenerate and their test)."""
    condition = getattr(schema_object, "_ddl_if", None)
    return condition is None or condition.dialect is None or condition.dialect == dialect


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: Json, list[Any]: Json}
