"""The chat samples under samples/: each splits and parses, senders are registry tenants, texts as written."""

from __future__ import annotations

import json

import pytest

from intake.channels.qcontact.channel import QContactChannel
from intake.channels.qcontact.mapping import load_mapping
from intake.channels.qcontact.payload import case_input, read_qcontact_payload
from intake.channels.waha.channel import WahaChannel
from intake.channels.waha.payload import read_waha_payload
from intake.channels.whatsapp.channel import WhatsAppChannel
from intake.channels.whatsapp.payload import read_cloud_payload
from intake.core.settings import Settings
from tests.conftest import SAMPLES
from tests.intake.channels.helpers import as_record

SETTINGS = Settings()
# sample -> (items, first item's text, sender's registry unit (property, unit) or None for reports)
WHATSAPP = {
    "01-text-sink-leak": (1, "Hi, the kitchen sink in 101 is leaking", ("HBR", "101")),
    "02-image-ceiling-stain": (1, "Water stain on the bathroom ceiling in 102", ("HBR", "102")),
    "03-location-parking-gate": (1, "Location: 39.7817,-89.6501 Harbor View Apartments - parking gate", ("HBR", "302")),
    "04-button-reply-confirm-visit": (1, "Yes, 9-12 works", ("HBR", "201")),
    "05-multi-message-heating": (3, "hi", ("ELM", "3A")),
    "06-status-delivered-read": (2, "", None),
    "07-status-failed": (1, "", None),
    "08-text-spanish-no-hot-water": (1, "Hola, no hay agua caliente en el apartamento 202", ("OAK", "202")),
    "09-text-german-power-outage": (1, "Hallo, in der Küche von 1A ist der Strom ausgefallen", ("ELM", "1A")),
    "10-document-locksmith-invoice": (1, "Invoice from the locksmith", ("OAK", "101")),
    "11-voice-note-dripping-tap": (1, "", ("ELM", "2B")),
    "12-reaction-thumbs-up": (1, "Reacted 👍 to a message", ("MPL", "A1")),
    "13-quick-reply-still-broken": (1, "Still broken", ("MPL", "G1")),
    "14-list-reply-category": (1, "Plumbing — Leaks, drains, toilets, taps", ("OAK", "103")),
    "15-text-another-problem": (1, "Another problem: the bathroom extractor fan", ("HBR", "101")),
}


def _unit_by_phone(registry) -> dict[str, tuple[str, str]]:
    return {t.phone: (t.property, t.unit) for t in registry.tenants if t.phone}


def test_every_whatsapp_sample_is_listed():
    assert {p.stem for p in (SAMPLES / "whatsapp").glob("*.json")} == set(WHATSAPP)


@pytest.mark.parametrize("name", sorted(WHATSAPP))
def test_whatsapp_sample(name, registry):
    count, text, unit = WHATSAPP[name]
    split = read_cloud_payload((SAMPLES / "whatsapp" / f"{name}.json").read_bytes())
    assert len(split.items) == count and not split.rejected
    messages = [WhatsAppChannel().parse(as_record(item, n), SETTINGS) for n, item in enumerate(split.items, 1)]
    assert messages[0].text.startswith(text)
    if unit is None:
        assert all(m.delivery_report for m in messages)
    else:
        assert {_unit_by_phone(registry).get(m.sender) for m in messages} == {unit}
        assert all(m.sent_at.year == 2026 for m in messages)


def test_waha_samples(registry):
    folder = SAMPLES / "waha"
    noise = read_waha_payload((folder / "01-message-noise-complaint.json").read_bytes()).items[0]
    message = WahaChannel().parse(as_record(noise), SETTINGS)
    assert _unit_by_phone(registry)[message.sender] == ("MPL", "B2") and message.sender_name == "Daniel Okafor"
    window = WahaChannel().parse(
        as_record(read_waha_payload((folder / "02-message-image-broken-window.json").read_bytes()).items[0]), SETTINGS
    )
    assert window.attachments[0].media_id.endswith(".jpeg") and "Cracked window" in window.text
    assert read_waha_payload((folder / "03-message-any-from-me.json").read_bytes()).ignored == ["message.any:from-me"]
    ack = read_waha_payload((folder / "04-message-ack-read.json").read_bytes()).items[0]
    assert WahaChannel().parse(as_record(ack), SETTINGS).delivery_report.status == "read"


def test_qcontact_samples(registry):
    folder, mapping = SAMPLES / "qcontact", load_mapping()
    phones = _unit_by_phone(registry)
    page = json.loads((folder / "05-api-cases-page.json").read_text())["results"]
    cases = [QContactChannel().parse(as_record(case_input(c, mapping).items[0]), SETTINGS) for c in page]
    assert [phones[m.sender] for m in cases] == [("HBR", "101"), ("ELM", "4B"), ("OAK", "202")]
    assert [m.external_ticket_id for m in cases] == ["FT0048213", "FT0048214", "FT0048215"]
    follow = read_qcontact_payload((folder / "03-webhook-interaction-follow-up.json").read_bytes(), mapping).items[0]
    message = QContactChannel().parse(as_record(follow), SETTINGS)
    assert message.thread.conversation_id == "48213" and message.external_ticket_id == "FT0048213"
    agent = read_qcontact_payload((folder / "04-webhook-interaction-agent-reply.json").read_bytes(), mapping)
    assert not agent.items and agent.ignored == ["interaction:outbound"]
    page_items = read_qcontact_payload((folder / "05-api-cases-page.json").read_bytes(), mapping).items
    assert [i.channel_id for i in page_items] == ["case:48213", "case:48214", "case:48215"]
    for name in ("01-webhook-case-created-leak", "02-webhook-case-created-no-heat"):
        [item] = read_qcontact_payload((folder / f"{name}.json").read_bytes(), mapping).items
        assert item.channel_id.startswith("case:")
