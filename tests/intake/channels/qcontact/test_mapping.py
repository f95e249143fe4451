"""QContact parsing through the YAML mapping: the documented default, a team's own file, a broken file."""

from __future__ import annotations

import json

import pytest

from intake.channels.base import ParseError
from intake.channels.qcontact.channel import QContactChannel
from intake.channels.qcontact.mapping import DEFAULT_MAPPING, MappingError, load_mapping
from intake.channels.qcontact.payload import case_input, read_qcontact_payload
from intake.core.settings import Settings
from tests.intake.channels.helpers import as_record

CASE = {
    "id": 48213,
    "case_number": "FT0048213",
    "subject": "Leak under kitchen sink",
    "description": "Water is pooling under the sink in unit 101",
    "status": "open",
    "created_at": "2026-11-20T08:15:00Z",
    "updated_at": "2026-11-20T08:20:00Z",
    "channel": "whatsapp",
    "contact": {
        "id": 9911,
        "first_name": "Maria",
        "last_name": "Lopez",
        "phone_number": "(555) 010-0101",
        "email": "maria@example.net",
    },
}


def test_default_mapping_case():
    [item] = case_input(CASE, load_mapping()).items
    message = QContactChannel().parse(as_record(item), Settings())
    assert item.channel_id == "case:48213"
    assert (message.sender, message.sender_name) == ("+15550100101", "Maria Lopez")
    assert message.external_ticket_id == "FT0048213" and message.thread.ticket_reference == "FT0048213"
    assert message.thread.conversation_id == "48213"
    assert message.subject == "Leak under kitchen sink" and message.text.startswith("Water is pooling")
    assert message.sent_at.isoformat() == "2026-11-20T08:15:00+00:00"
    assert message.extra["email"] == "maria@example.net" and message.extra["source_channel"] == "whatsapp"


def test_default_mapping_interaction_joins_its_case():
    body = {
        "event": "interaction.created",
        "interaction": {
            "id": 771002,
            "case_id": 48213,
            "case_number": "FT0048213",
            "direction": "inbound",
            "body": "Still dripping",
            "contact": {"email": "Maria@Example.net"},
        },
    }
    [item] = read_qcontact_payload(json.dumps(body).encode(), load_mapping()).items
    message = QContactChannel().parse(as_record(item), Settings())
    assert item.channel_id == "interaction:771002" and message.sender == "maria@example.net"
    assert message.thread.conversation_id == "48213" and message.external_ticket_id == "FT0048213"


def test_a_teams_own_mapping_file(tmp_path):
    default = DEFAULT_MAPPING.read_text()
    custom = default.replace("ticket_id: [case_number, reference, number]", "ticket_id: [c__ticket_ref]")
    custom = custom.replace("text: [description, body]", "text: [c__notes]")
    path = tmp_path / "qcontact.yaml"
    path.write_text(custom)
    record = {"id": 5, "c__ticket_ref": "FT0000005", "c__notes": "Garage door stuck", "phone_number": "+15550300101"}
    settings = Settings(qcontact={"mapping_file": path})
    [item] = case_input(record, load_mapping(path)).items
    message = QContactChannel().parse(as_record(item), settings)
    assert (message.external_ticket_id, message.text, message.sender) == (
        "FT0000005",
        "Garage door stuck",
        "+15550300101",
    )


def test_a_broken_mapping_names_the_file_and_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        DEFAULT_MAPPING.read_text().replace("  subject: [subject, title]", "  subjekt: [subject, title]", 1)
    )
    with pytest.raises(MappingError, match=r"bad\.yaml: case\.subjekt: Extra inputs are not permitted"):
        load_mapping(path)


def test_a_case_with_no_sender_fails_with_the_paths_it_tried():
    [item] = case_input({"id": 9, "case_number": "FT0000009", "description": "?"}, load_mapping()).items
    with pytest.raises(ParseError, match="names no sender .*contact.phone_number"):
        QContactChannel().parse(as_record(item), Settings())
