"""Every Cloud API payload of the corpus splits into items that parse, or is ignored / rejected with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intake.channels.base import ParseError
from intake.channels.payload import PayloadError
from intake.channels.whatsapp.channel import WhatsAppChannel
from intake.channels.whatsapp.payload import read_cloud_payload, split_cloud_payload
from intake.core.models import ChannelName
from intake.core.settings import Settings
from tests.corpora import corpus, corpus_params
from tests.intake.channels.helpers import as_record

SETTINGS = Settings()
# case file -> (channel_id, expected text or None, expected auto, attachment content type)
EXPECTED = {
    "message.text": ("wamid.xyzxyz", "Body Text", None, None),
    "message.image": ("wamid.xyzxyz", "", None, "image/jpeg"),
    "message.video": ("wamid.xyzxyz", "caption", None, "video/mp4"),
    "message.document": ("wamid.xyzxyz", "caption", None, None),
    "message.chosen_location": (
        "wamid.xyzxyz",
        "Location: 37.4611978,-122.2164385 Facebook HQ 1 Hacker Way, Menlo Park, CA 94025",
        None,
        None,
    ),
    "message.reaction": ("wamid.xyzxyz", "Reacted \U0001f62e to a message", None, None),
    "message.unreaction_empty": ("wamid.xyzxyz", "", "reaction-removed", None),
    "callback_button.button": (None, "title", None, None),
    "callback_button.quick_reply": ("wamid.xsidjw", "title", None, None),
    "callback_selection.description": (None, "title — description", None, None),
    "system.identity_change": ("wamid.xyzxyz", "User identity changed", "whatsapp-system", None),
}


def _cases(whatsapp: Path) -> list[Path]:
    folder = whatsapp / "cloud-api"
    return sorted(folder.glob("by-case/*.json")) + [folder / "meta-docs" / "text-message.json"]


def test_corpus_has_all_cases():
    assert len(list((corpus("whatsapp") / "cloud-api" / "by-case").glob("*.json"))) == 74


@pytest.mark.parametrize("path", corpus_params("whatsapp", _cases), ids=lambda p: p.stem)
def test_corpus_payload_splits_and_parses(path):
    raw = path.read_bytes()
    split = read_cloud_payload(raw)
    assert not split.rejected, split.rejected
    fields = {c["field"] for e in json.loads(raw)["entry"] for c in e["changes"]}
    if fields != {"messages"}:  # account, template, call… notifications open nothing
        assert not split.items and set(split.ignored) == fields
        return
    assert split.items, "a messages change must give at least one item"
    channel = WhatsAppChannel()
    for item in split.items:
        assert item.channel is ChannelName.WHATSAPP and item.content_type == "application/json"
        try:
            message = channel.parse(as_record(item), SETTINGS)
        except ParseError as exc:  # only the placeholder-phone sample of the corpus may fail, with a reason
            assert "is not a phone number" in str(exc) and "<WHATSAPP_USER_PHONE_NUMBER>" in raw.decode()
            continue
        if item.channel_id.startswith("status:"):
            assert message.delivery_report is not None and message.text == ""
            assert item.channel_id.startswith(f"status:{message.delivery_report.ref_id}:")
            continue
        assert message.sender.startswith("+") and message.thread.conversation_id == message.sender
        assert message.channel_message_id == item.channel_id
        expected = EXPECTED.get(path.stem)
        if expected:
            channel_id, text, auto, content_type = expected
            assert channel_id is None or item.channel_id == channel_id
            assert message.text == text
            assert message.auto == auto
            if content_type:
                assert message.attachments[0].content_type == content_type and message.attachments[0].media_id


def test_media_message_records_media_id_mime_and_caption():
    raw = (corpus("whatsapp") / "cloud-api" / "by-case" / "message.video.json").read_bytes()
    message = WhatsAppChannel().parse(as_record(split_cloud_payload(raw)[0]), SETTINGS)
    [attachment] = message.attachments
    assert attachment.media_id == "765756756" and attachment.content_type == "video/mp4"
    assert message.text == "caption" and not attachment.stored


def test_failed_status_becomes_a_delivery_report_with_the_reason():
    raw = (corpus("whatsapp") / "cloud-api" / "by-case" / "message_status.failed.json").read_bytes()
    [item] = split_cloud_payload(raw)
    assert item.channel_id == "status:wamid.xyzxyz:failed"
    message = WhatsAppChannel().parse(as_record(item), SETTINGS)
    report = message.delivery_report
    assert (report.ref_id, report.status, report.recipient) == ("wamid.xyzxyz", "failed", "+972987654321")
    assert "130472" in report.reason


def test_reply_context_and_edit_point_at_the_quoted_message():
    folder = corpus("whatsapp") / "cloud-api" / "by-case"
    reply = WhatsAppChannel().parse(
        as_record(split_cloud_payload((folder / "message.reply.json").read_bytes())[0]), SETTINGS
    )
    assert reply.thread.reply_to_channel_id == "wamid.xyzxyz=="
    edited = split_cloud_payload((folder / "edited_message.image.json").read_bytes())[0]
    edit = WhatsAppChannel().parse(as_record(edited), SETTINGS)
    assert edit.thread.reply_to_channel_id.startswith("wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA")
    assert edit.text == "Updated image caption" and edit.attachments[0].media_id == "1234567890"


def test_multi_entry_multi_message_payload_gives_one_item_each_and_drops_in_batch_repeats():
    folder = corpus("whatsapp") / "cloud-api" / "by-case"
    text = json.loads((folder / "message.text.json").read_text())
    status = json.loads((folder / "message_status.read.json").read_text())
    value = text["entry"][0]["changes"][0]["value"]
    second = dict(value["messages"][0], id="wamid.second", text={"body": "is leaking"})
    value["messages"] = [value["messages"][0], second, value["messages"][0]]
    text["entry"].append(status["entry"][0])
    items = split_cloud_payload(json.dumps(text).encode())
    assert [i.channel_id for i in items] == ["wamid.xyzxyz", "wamid.second", "status:wamid.xyzxyz:read"]


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"{not json", "invalid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b"\xff\xfe", "not UTF-8"),
        (b'{"object": "page", "entry": []}', "expected 'whatsapp_business_account'"),
        (b'{"object": "whatsapp_business_account"}', "missing field 'entry'"),
        (b'{"object": "whatsapp_business_account", "entry": [{"id": "1"}]}', "missing field 'changes'"),
    ],
)
def test_bad_bodies_are_refused_with_a_reason(body, reason):
    with pytest.raises(PayloadError, match=reason):
        read_cloud_payload(body)


def test_bad_items_are_rejected_alone():
    value = {
        "metadata": {},
        "messages": [
            {"from": "15550100101", "id": "wamid.ok", "type": "text", "text": {"body": "Kitchen sink leaking"}},
            {"from": "15550100101", "id": "wamid.odd", "type": "hologram"},
            {"from": "15550100101", "type": "text", "text": {"body": "no id"}},
        ],
        "statuses": [{"id": "wamid.out", "status": "teleported"}],
    }
    change = {"field": "messages", "value": value}
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
    split = read_cloud_payload(json.dumps(body).encode())
    assert [i.channel_id for i in split.items] == ["wamid.ok"]
    reasons = [r.reason for r in split.rejected]
    assert "unknown message type 'hologram'" in reasons[0]
    assert "missing field 'id'" in reasons[1]
    assert "unknown status 'teleported'" in reasons[2]
    with pytest.raises(PayloadError, match="hologram"):
        split_cloud_payload(json.dumps(body).encode())
