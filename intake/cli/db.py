"""`intake db upgrade|current`: schema migrations."""

from __future__ import annotations

import click

from intake.core.settings import get_settings
from store.db import Database
from store.migrate import current_revision, head_revision, upgrade


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database (INTAKE_DATABASE_URL) to REVISION, by default the newest."""
    db = Database(get_settings().database_url)
    upgrade(db, revision)
    click.echo(f"database at revision {current_revision(db)}")


@db_group.command("current")
def db_current() -> None:
    """Show the database's revision and the newest one."""
    db = Database(get_settings().database_url)
    click.echo(f"current: {current_revision(db)}  head: {head_revision(db)}")
