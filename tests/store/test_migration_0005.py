"""Migration 0005 (the possible-emergency flag on tickets) up and down, on SQLite and on a fresh PostgreSQL
database: a ticket stored before it keeps its row, reads as never flagged, and survives the way back."""

from __future__ import annotations

import psycopg
import pytest
from alembic import command
from sqlalchemy import inspect, text

from store.db import Database
from store.migrate import alembic_config, current_revision, upgrade
from tests.conftest import PG_ADMIN_URL, RUN_ID

COLUMNS = {
    "emergency_state",
    "emergency_reasons",
    "emergency_settled_by",
    "emergency_settled_at",
    "emergency_settled_why",
}


def downgrade(db: Database, revision: str) -> None:
    config = alembic_config(db)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db(request, tmp_path):
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield database
        database.dispose()
        return
    name = f"intake_test_{RUN_ID}_m5"
    admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    database = Database(f"{base}/{name}")
    yield database
    database.dispose()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def ticket_columns(db: Database) -> set[str]:
    with db.engine.connect() as connection:
        return {column["name"] for column in inspect(connection).get_columns("tickets")}


def test_migration_0005_adds_the_flag_and_takes_it_away_again(empty_db):
    upgrade(empty_db, "0004_outbound_attempts")
    with empty_db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO tickets (id, number, channel, status, requires_approval, confidence, "
                "evidence, needs_review, review_reasons, tags, created_at, updated_at, "
                "last_activity_at) VALUES ('t-1', 'EML-000001', 'email', 'new', false, '{}', '[]', "
                "false, '[]', '[]', '2026-11-20 09:30:00', '2026-11-20 09:30:00', "
                "'2026-11-20 09:30:00')"
            )
        )
    assert not COLUMNS & ticket_columns(empty_db)

    upgrade(empty_db, "0005_possible_emergency")
    assert current_revision(empty_db) == "0005_possible_emergency"
    assert COLUMNS <= ticket_columns(empty_db)
    with empty_db.engine.connect() as connection:
        state, reasons = connection.execute(text("SELECT emergency_state, emergency_reasons FROM tickets")).one()
    assert state is None and reasons in ([], "[]")  # never flagged: JSONB reads a list, SQLite's JSON its text

    downgrade(empty_db, "0004_outbound_attempts")
    assert current_revision(empty_db) == "0004_outbound_attempts"
    assert not COLUMNS & ticket_columns(empty_db)
    with empty_db.engine.connect() as connection:
        assert connection.execute(text("SELECT number FROM tickets")).scalar_one() == "EML-000001"
