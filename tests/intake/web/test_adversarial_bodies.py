"""Webhook bodies built to make the JSON nesting pre-scan slow: a run of escaped quotes that never closes,
then a newline and 70 `{`. The old scan restarted its string regex at every quote (38 s for 80 KB, on the web
event loop); the request must be answered promptly with 400 and the body kept in quarantine.

A delivery whose broker hand-off raises is answered all the same (it is stored).

The client runs in a thread with a socket timeout, so a blocked event loop cannot hold the verdict back."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest

from tests.intake.conftest import stored
from tests.intake.web.test_hostile_input import signed

QUOTES_THEN_BRACES = b'"' + b'\\"' * 30_000 + b"\\\n" + b"{" * 70  # 60 KB, under the tests' 64 KB body limit


def _post_with_timeout(url: str, raw: bytes, headers: dict, timeout: float) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=raw, headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("route", ["whatsapp", "waha", "qcontact"])
async def test_an_unterminated_run_of_escaped_quotes_is_answered_promptly(server, db, route):
    url = str(server.make_url(f"/webhooks/{route}"))
    # 10 s is generous for a linear scan of 60 KB (milliseconds); the old quadratic one took about 20 s.
    status, body = await asyncio.to_thread(
        _post_with_timeout, url, QUOTES_THEN_BRACES, signed(route, QUOTES_THEN_BRACES), 10
    )
    assert status == 400, body
    [item] = stored(db)
    assert item.state == "quarantined" and item.payload == QUOTES_THEN_BRACES


@pytest.mark.parametrize("text", ['{"a": "[[[{{{", "b": [1]}', '{"a": "\\\\", "b": {"c": "\\"{"}}'])
def test_the_depth_scan_skips_brackets_inside_strings(text):
    from intake.channels.payload import json_depth

    assert json.loads(text) and json_depth(text, 2) == 2  # more than 2 openers: the scan runs


async def test_a_failing_broker_hand_off_still_answers_the_stored_delivery(server, db):
    """The enqueue thread is gone (shut down): `Enqueuer.send` raises. The delivery is stored, so it is
    answered 200 (the reconciler sends its message) instead of waiting for ever."""
    from intake.web.webhooks import ACCEPT_BATCHER
    from tests.intake.web.test_hostile_input import cloud

    server.app[ACCEPT_BATCHER].enqueuer.close()
    raw = cloud(id="wamid.AFTER-SHUTDOWN")
    status, body = await asyncio.to_thread(
        _post_with_timeout, str(server.make_url("/webhooks/whatsapp")), raw, signed("whatsapp", raw), 10
    )
    assert status == 200 and body["accepted"] == 1, body
    assert [item.state for item in stored(db)] == ["pending"]
