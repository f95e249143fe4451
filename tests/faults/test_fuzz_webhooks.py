"""Property-based fuzzing of the three webhook handlers over the real aiohttp app on loopback (PostgreSQL, where
NUL and encoding errors bite): signed JSON bodies mutated from a valid event. Every body is answered 4xx, or 200
with its items stored; each stored item then ends processed or quarantined with a reason — never a 5xx, an
unhandled exception or a hang (each input bounded by the hypothesis deadline and the HTTP timeout)."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from intake.pipeline.process import RetryableFailure, process_raw
from store.models import RawItem
from tests.conftest import SAMPLES
from tests.faults.strategies import FUZZ, mutated_json
from tests.intake.web.test_hostile_input import signed

pytestmark = pytest.mark.faults
BASES = {
    route: json.loads((SAMPLES / route / name).read_text())
    for route, name in [
        ("whatsapp", "01-text-sink-leak.json"),
        ("waha", "01-message-noise-complaint.json"),
        ("qcontact", "01-webhook-case-created-leak.json"),
    ]
}
SEEN: dict[str, Counter] = {}
REASONS: dict[str, Counter] = {route: Counter() for route in BASES}


def post(url: str, route: str, raw: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=raw, method="POST", headers={"Content-Type": "application/json", **signed(route, raw)}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def settle(runtime, raw_id: int) -> RawItem:
    """Process a stored item as the worker would, retries included; the item as it ends."""
    for _ in range(runtime.settings.pipeline.max_attempts):
        try:
            process_raw(runtime, raw_id)
            break
        except RetryableFailure:
            continue
    with runtime.db.session() as session:
        item = session.execute(select(RawItem).where(RawItem.id == raw_id)).scalar_one()
        session.expunge(item)
    return item


def fuzz(url: str, route: str, runtime) -> None:
    seen = SEEN.setdefault(route, Counter())

    @FUZZ
    @given(document=mutated_json(BASES[route]), as_bytes=st.booleans())
    def every_body_is_4xx_or_stored_and_settled(document, as_bytes):
        # as UTF-8 bytes too, lone surrogates encoded as they are (invalid UTF-8)
        raw = (
            json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass")
            if as_bytes
            else json.dumps(document).encode()
        )
        status, answer = post(url, route, raw)
        assert status == 200 or 400 <= status < 500, (status, answer)
        seen[status] += 1
        if status != 200:
            assert answer.get("error"), answer
            REASONS[route][answer["error"][:60]] += 1
            return
        for raw_id in answer.get("raw_ids", []):
            item = settle(runtime, raw_id)
            assert item.state in {"processed", "quarantined"}, (item.state, item.error)
            assert item.state == "processed" or item.error
            if item.error:
                REASONS[route][item.error[:60]] += 1
            seen[item.state] += 1

    every_body_is_4xx_or_stored_and_settled()


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
@pytest.mark.parametrize("route", ["whatsapp", "waha", "qcontact"])
async def test_every_webhook_body_is_4xx_or_stored_and_settled(runtime, server, route):
    await asyncio.to_thread(fuzz, str(server.make_url(f"/webhooks/{route}")), route, runtime)
    print(f"{route} webhook fuzzing: {dict(SEEN[route])}; reasons: {REASONS[route].most_common(8)}")
