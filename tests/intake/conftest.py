"""Fixtures for the intake tests: the web app with its webhook routes on a real aiohttp server on loopback,
`intake` commands run in this process, and helpers to read what they stored."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from click.testing import CliRunner, Result
from sqlalchemy import select

from intake.cli.main import cli
from intake.core.settings import get_settings
from store.models import RawItem
from tests.conftest import make_settings

APP_SECRET = "test_app_secret_0123456789abcdef"  # the corpus signature vectors' dummy secret
VERIFY_TOKEN = "verify-me-please"
WAHA_KEY = "my-secret-key"
QCONTACT_SECRET = "qc-hook-token"


@pytest.fixture
def chat_settings(db, tmp_path):
    return make_settings(
        db,
        tmp_path,
        whatsapp={"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN},
        waha={"hmac_key": WAHA_KEY},
        qcontact={"webhook_secret": QCONTACT_SECRET},
        limits={"webhook_body_max_bytes": 64 * 1024},
    )


@pytest.fixture
async def server(chat_settings, db, stub_broker):
    from intake.web.app import create_app

    test_server = TestServer(create_app(chat_settings, db), host="127.0.0.1")
    await test_server.start_server()
    yield test_server
    await test_server.close()


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


def stored(db, channel: str | None = None) -> list[RawItem]:
    with db.session() as session:
        query = select(RawItem).order_by(RawItem.id)
        if channel:
            query = query.where(RawItem.channel == channel)
        return list(session.execute(query).scalars())


@pytest.fixture
def cli_on(tmp_path, monkeypatch, stub_broker):
    """`cli_on(database_url, **env)`: `intake` commands on that database, run in this process by click's runner
    with the in-process broker (no Redis) and data under tmp_path; returns `invoke(*args) -> Result`."""

    def use(database_url: str, **env: str) -> Callable[..., Result]:
        monkeypatch.setenv("INTAKE_DATABASE_URL", database_url)
        monkeypatch.setenv("INTAKE_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.delenv("INTAKE_REDIS_URL", raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        runner = CliRunner()
        return lambda *args: runner.invoke(cli, [str(arg) for arg in args], catch_exceptions=False)

    yield use
    get_settings.cache_clear()


@pytest.fixture
def ingest(cli_on, db):
    """The real `intake ingest` on the test database (SQLite and PostgreSQL), the WhatsApp app secret set:
    `ingest(*paths) -> (exit code, stdout, stderr)`."""
    invoke = cli_on(db.url, INTAKE_WHATSAPP__APP_SECRET=APP_SECRET)

    def run(*paths) -> tuple[int, str, str]:
        result = invoke("ingest", *paths)
        return result.exit_code, result.stdout, result.stderr

    return run
