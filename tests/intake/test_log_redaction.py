"""What reaches the log output: the production handler, real records, real tracebacks, a real server."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest
from sqlalchemy import text

from intake.channels.waha.signature import sign_waha_payload
from intake.logs import make_handler
from tests.intake.conftest import WAHA_KEY

PHONE = "15550100101"


@pytest.fixture
def output():
    """Everything logged through the process's handler (the one `setup_logging` installs), as text."""
    stream = io.StringIO()
    handler = make_handler(stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.mark.parametrize(
    "line, secret",
    [
        (f"raw 3: WAHA id false_{PHONE}@c.us_3EB0C767D26A1D0B1D4A", PHONE),
        (f"media http://waha:3000/api/files/{PHONE}-3EB0C767.jpeg", PHONE),
        (f"chat {PHONE}@c.us left", PHONE),
        ("GET /v21.0/1 with Authorization: Bearer EAAGm0PX4ZCpsBA", "EAAGm0PX4ZCpsBA"),
        ("headers {'access-token': 'wwwww-tok3n', 'uid': 'me@example.com'}", "wwwww-tok3n"),
        ('headers {"X-Api-Key": "waha key with spaces"}', "waha key with spaces"),
        ("qcontact access_token=abc123&page=2", "abc123"),
    ],
)
def test_phones_and_secrets_never_reach_the_output(output, line, secret):
    logging.getLogger("intake.test").warning("%s", line)
    written = output.getvalue()
    assert secret not in written and "intake.test" in written


def test_broker_message_ids_stay_readable_beside_a_masked_phone(output):
    logging.getLogger("dramatiq.worker").debug(
        "Acknowledging message '73b33270-70fb-48c4-a328-b7940d4cbc99' for %s", PHONE
    )
    written = output.getvalue()
    assert "'73b33270-70fb-48c4-a328-b7940d4cbc99'" in written and PHONE not in written


def test_tracebacks_and_stacks_are_redacted_too(output):
    log = logging.getLogger("intake.test")
    try:
        sender = f"false_{PHONE}@c.us"
        raise ValueError(f"sender {sender} with token=s3cr3t-value is not in the registry")
    except ValueError:
        log.exception("raw 9: could not parse")
    log.warning("raw 9: where am I (wa_id %s)", PHONE, stack_info=True)
    written = output.getvalue()
    assert "Traceback (most recent call last)" in written and "ValueError: sender false_+15*******01@c.us" in written
    assert "Stack (most recent call last)" in written
    assert PHONE not in written and "s3cr3t-value" not in written


async def test_a_database_failure_logs_no_payload(server, http, db, output):
    """SQLAlchemy errors quote the INSERT's parameters (the tenant's payload and number) on later lines."""
    raw = (
        json.dumps(
            {
                "event": "message",
                "payload": {"id": f"false_{PHONE}@c.us_AAAA", "from": f"{PHONE}@c.us", "body": f"call me on +{PHONE}"},
            }
        )
    ).encode()
    headers = {"Content-Type": "application/json", "X-Webhook-Hmac": sign_waha_payload(raw, WAHA_KEY)}
    with db.engine.begin() as connection:
        connection.execute(text("ALTER TABLE raw_items RENAME TO raw_items_away"))
    try:

        async def post() -> int:
            async with http.post(str(server.make_url("/webhooks/waha")), data=raw, headers=headers) as response:
                return response.status

        statuses = await asyncio.gather(*(post() for _ in range(4)))  # a batch failure and single failures
    finally:
        with db.engine.begin() as connection:
            connection.execute(text("ALTER TABLE raw_items_away RENAME TO raw_items"))
    assert set(statuses) == {503}
    written = output.getvalue()
    assert "could not store the delivery" in written and "Error" in written
    assert PHONE not in written and "call me" not in written and "[parameters" not in written
