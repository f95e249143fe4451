"""WAHA events from the corpus: messages become items, our own and non-message events are ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intake.channels.base import ParseError
from intake.channels.payload import PayloadError
from intake.channels.waha.channel import WahaChannel
from intake.channels.waha.payload import read_waha_payload, split_waha_payload
from intake.core.settings import Settings
from tests.corpora import corpus, corpus_params
from tests.intake.channels.helpers import as_record

SETTINGS = Settings()
# file -> (items, ignored, rejected reason fragment)
EXPECTED = {
    "envelope.structure": (0, [], "missing field 'payload.id'"),
    "message.ack": (1, [], None),
    "message.ack.group": (1, [], None),
    "message.document": (1, [], None),
    "message.edited": (0, [], "missing field 'payload.from'"),
    "message.image-with-caption": (1, [], None),
    "message.reaction": (1, [], None),
    "message.reply": (1, [], None),
    "message.revoked": (0, ["message.revoked"], None),
    "message.text": (0, ["message:from-me"], None),
    "session.status": (0, ["session.status"], None),
}


def _events(whatsapp: Path) -> list[Path]:
    return sorted(p for p in (whatsapp / "waha").glob("*.json") if p.stem != "hmac-test-vector")


def test_all_twelve_waha_files_are_covered():
    assert len(list((corpus("whatsapp") / "waha").glob("*.json"))) == 12
    assert {p.stem for p in _events(corpus("whatsapp"))} == set(EXPECTED)


@pytest.mark.parametrize("path", corpus_params("whatsapp", _events), ids=lambda p: p.stem)
def test_waha_event(path):
    items, ignored, reason = EXPECTED[path.stem]
    split = read_waha_payload(path.read_bytes())
    assert len(split.items) == items and split.ignored == ignored
    assert (reason is None) == (not split.rejected)
    if reason:
        assert reason in split.rejected[0].reason
    for item in split.items:
        try:
            message = WahaChannel().parse(as_record(item), SETTINGS)
        except ParseError as exc:  # the docs' reaction example uses a short fake number
            assert path.stem == "message.reaction" and "not a phone number" in str(exc)
            continue
        assert message.delivery_report or message.sender.startswith("+")


def test_image_with_caption_keeps_url_mime_and_caption():
    raw = (corpus("whatsapp") / "waha" / "message.image-with-caption.json").read_bytes()
    [item] = split_waha_payload(raw)
    message = WahaChannel().parse(as_record(item), SETTINGS)
    assert item.channel_id == "true_11111111111@c.us_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    assert message.text == "Check this out (caption for the media)!"
    assert message.attachments[0].media_id.endswith(".jpg") and message.attachments[0].content_type == "image/jpeg"
    assert message.sender == "+11111111111" and message.thread.conversation_id == "+11111111111"


def test_ack_of_our_message_is_a_delivery_report():
    raw = (corpus("whatsapp") / "waha" / "message.ack.json").read_bytes()
    [item] = split_waha_payload(raw)
    assert item.channel_id == "ack:true_11111111111@c.us_4CC5EDD64BC22EBA6D639F2AF571346C:READ"
    report = WahaChannel().parse(as_record(item), SETTINGS).delivery_report
    assert (report.status, report.recipient) == ("read", "+11111111111")


def test_message_any_from_me_is_ignored_and_group_sender_is_the_participant():
    base = {
        "event": "message.any",
        "session": "default",
        "payload": {
            "id": "false_1@g.us_X",
            "from": "120363@g.us",
            "participant": "15550100102@c.us",
            "fromMe": False,
            "body": "Hallway light on floor 1 is out",
        },
    }
    [item] = split_waha_payload(json.dumps(base).encode())
    message = WahaChannel().parse(as_record(item), SETTINGS)
    assert message.sender == "+15550100102" and message.extra["group"] == "120363@g.us"
    base["payload"]["fromMe"] = True
    assert read_waha_payload(json.dumps(base).encode()).ignored == ["message.any:from-me"]


def test_waha_body_without_event_is_refused():
    with pytest.raises(PayloadError, match="missing field 'event'"):
        read_waha_payload(b'{"payload": {}}')
