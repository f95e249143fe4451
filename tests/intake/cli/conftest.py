"""The command line on a private SQLite file, run in this process with the in-process broker."""

from __future__ import annotations

import pytest

from store.db import Database


@pytest.fixture
def cli_env(cli_on, tmp_path):
    """`run(*args, expect=0) -> stdout`: a command on a private SQLite database; its exit code must be `expect`."""
    invoke = cli_on(f"sqlite:///{tmp_path / 'cli.db'}")

    def run(*args: str, expect: int = 0) -> str:
        result = invoke(*args)
        assert result.exit_code == expect, result.output
        return result.stdout

    return run


@pytest.fixture
def cli_db(cli_env, tmp_path):
    """(run, database): `cli_env` with its database migrated by a first command, and that database."""
    cli_env("tickets", "list")
    database = Database(f"sqlite:///{tmp_path / 'cli.db'}")
    yield cli_env, database
    database.dispose()
