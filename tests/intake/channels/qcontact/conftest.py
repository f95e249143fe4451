"""The QContact stand-in on a real aiohttp server on loopback, for the poller and the `intake qcontact poll` tests."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestServer

from tests.intake.channels.qcontact.standin import QContactStandIn


@pytest.fixture
async def standin():
    fake = QContactStandIn()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.base_url = str(server.make_url("/api/v2/"))
    yield fake
    await server.close()
