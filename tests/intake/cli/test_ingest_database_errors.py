"""`intake ingest` while another process holds the SQLite write lock (`intake run` busy): "database is
locked" is the database's problem, not the mail's, so the run ends with exit 1 and a clear error instead of
quarantining good mail under a content-hash key (or ending in a traceback)."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from intake.cli.main import cli
from intake.core.settings import get_settings
from store.models import RawItem
from tests.intake.cli.test_ingest_bad_items import mail


@pytest.mark.slow  # waits out the store's 30 s lock timeout
def test_a_locked_database_ends_the_run_without_quarantining_good_mail(sqlite_db, tmp_path, monkeypatch, stub_broker):
    db = sqlite_db  # the write lock another process holds is SQLite's
    monkeypatch.setenv("INTAKE_DATABASE_URL", db.url)
    monkeypatch.setenv("INTAKE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("INTAKE_REDIS_URL", raising=False)
    get_settings.cache_clear()
    (tmp_path / "a.eml").write_bytes(mail(1, "<one@example.net>"))
    holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer, for the whole run (the store waits 30 s, then gives up)
    try:
        result = CliRunner().invoke(cli, ["ingest", str(tmp_path / "a.eml")], catch_exceptions=False)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        get_settings.cache_clear()
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "the database failed, ingest stopped" in result.stderr and "locked" in result.stderr
    with db.session() as session:
        assert session.execute(select(RawItem)).scalars().all() == []


def test_items_left_pending_on_redis_exit_5_not_0(db, tmp_path, monkeypatch, redis_broker):
    """On Redis with --no-wait (no worker running) the items are stored, not processed: exit 5, as --help says."""
    from tests.conftest import REDIS_URL

    monkeypatch.setenv("INTAKE_DATABASE_URL", db.url)
    monkeypatch.setenv("INTAKE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INTAKE_REDIS_URL", REDIS_URL)
    get_settings.cache_clear()
    (tmp_path / "a.eml").write_bytes(mail(1, "<one@example.net>"))
    try:
        result = CliRunner().invoke(cli, ["ingest", "--no-wait", str(tmp_path / "a.eml")], catch_exceptions=False)
        help_text = CliRunner().invoke(cli, ["ingest", "--help"]).stdout
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 5 and "pending: 1" in result.stdout, (result.stdout, result.stderr)
    assert "5  some items are stored but still pending" in help_text
    with db.session() as session:
        assert [item.state for item in session.execute(select(RawItem)).scalars()] == ["pending"]
