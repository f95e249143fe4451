"""`intake ingest` and the webhooks split a payload the same way (`split_or_reject`): an unforeseen shape
(a lone surrogate in text.body ends in UnicodeEncodeError) is rejected and quarantined, the next files are
still ingested, and the same bad payload from a file and from a webhook is kept once, under one key."""

from __future__ import annotations

import hashlib

from tests.intake.conftest import stored
from tests.intake.web.test_hostile_input import cloud, post

LONE_SURROGATE = cloud(id="wamid.SURROGATE", text={"body": "leak \ud800"})  # JSON-escaped: valid JSON text


async def test_an_unforeseen_shape_is_quarantined_once_by_ingest_and_webhook(ingest, server, http, db, tmp_path):
    folder = tmp_path / "whatsapp"
    folder.mkdir()
    (folder / "a-bad.json").write_bytes(LONE_SURROGATE)
    (folder / "b-good.json").write_bytes(cloud(id="wamid.GOOD"))

    code, out, err = ingest(folder)

    key = "rejected:sha256:" + hashlib.sha256(LONE_SURROGATE).hexdigest()
    items = {item.channel_id: item for item in stored(db)}
    assert set(items) == {key, "wamid.GOOD"}, (code, out, err)
    assert items[key].state == "quarantined" and "malformed payload (UnicodeEncodeError)" in items[key].error
    assert items["wamid.GOOD"].state == "processed"

    status, body = await post(http, server, "whatsapp", LONE_SURROGATE)
    assert status == 400 and body["error"] == "malformed payload (UnicodeEncodeError)", body
    assert body["quarantined"] == items[key].id and len(stored(db)) == 2


async def test_qcontact_ids_too_long_for_the_key_are_422_and_kept_not_cut_into_duplicates(server, http, db):
    """Two case ids alike in their first 1,000 characters used to be cut to the same key: the second was
    answered 200 as a duplicate and never stored. Now each is refused (422) and kept in quarantine."""
    import json

    from tests.intake.web.test_hostile_input import QCONTACT_CASE

    statuses = []
    for last in "12":
        case = {**QCONTACT_CASE["case"], "id": "C" * 1200 + last}
        status, body = await post(http, server, "qcontact", json.dumps({"case": case}).encode())
        statuses.append(status)
        assert "case id is too long" in body["error"] and body["quarantined"], body
    assert statuses == [422, 422]
    assert [item.state for item in stored(db)] == ["quarantined", "quarantined"]
