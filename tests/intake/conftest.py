"""Fixtures for the intake tests: the web app with its webhook routes on a real aiohttp server on loopback, and
helpers to read what it stored."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

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
