"""EmailChannel.parse end to end (fields, limits, bounces, ticket references) and `intake parse-email`."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from intake.channels.base import ParseError, RawRecord
from intake.channels.email.channel import EmailChannel
from intake.channels.registry import get_channel
from intake.cli.main import cli
from intake.core.models import ChannelName
from intake.core.settings import LimitsSettings, Settings, get_settings
from tests.corpora import corpus


def record(payload: bytes) -> RawRecord:
    return RawRecord(
        id=7,
        channel=ChannelName.EMAIL,
        channel_id="INBOX:42",
        payload=payload,
        content_type="message/rfc822",
        received_at=datetime(2026, 3, 12, tzinfo=UTC),
    )


def tenant_mail(body: str, subject: str = "Re: Leak [EML-000123]", attachments=()) -> bytes:
    msg = EmailMessage()
    msg["From"] = '"Müller, Anna" <Anna.Mueller@Example.org>'
    msg["To"] = "maintenance@intake.example"
    msg["Cc"] = "caretaker@example.org"
    msg["Subject"] = subject
    msg["Date"] = "Thu, 12 Mar 2026 09:15:00 +0100"
    msg["Message-ID"] = "<m1@example.org>"
    msg["In-Reply-To"] = "<out.5@intake>"
    msg["References"] = "<first@example.org> <out.5@intake>"
    msg.set_content(body)
    for name, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def test_registry_returns_the_email_channel():
    channel = get_channel(ChannelName.EMAIL)
    assert isinstance(channel, EmailChannel) and channel.ticket_prefix == "EML"


def test_fields_of_a_tenant_reply():
    body = (
        "Still dripping, please come today.\n\nAnna\n\nOn Wed, Mar 11, 2026 at 4:00 PM Maintenance "
        "<maintenance@intake.example> wrote:\n> We fixed the tap.\n"
    )
    message = EmailChannel().parse(record(tenant_mail(body)), Settings())
    assert message.sender == "anna.mueller@example.org" and message.sender_name == "Müller, Anna"
    assert message.to == ["maintenance@intake.example"] and message.cc == ["caretaker@example.org"]
    assert message.text == "Still dripping, please come today.\n\nAnna"
    assert "We fixed the tap." in message.full_text
    assert message.thread.message_id == "<m1@example.org>" and message.thread.in_reply_to == ["<out.5@intake>"]
    assert message.thread.references == ["<first@example.org>", "<out.5@intake>"]
    assert message.thread.ticket_reference == "EML-000123"
    assert message.sent_at == datetime(2026, 3, 12, 8, 15, tzinfo=UTC)
    assert message.raw_id == 7 and message.channel_message_id == "<m1@example.org>" and message.auto is None


def test_ticket_reference_in_the_body_only():
    message = EmailChannel().parse(record(tenant_mail("About WA-000077: still broken.", subject="Tap")), Settings())
    assert message.thread.ticket_reference == "WA-000077"


def test_attachment_limits_record_without_storing():
    small, big, third = b"A" * 1000, b"B" * 5000, b"C" * 3000
    raw = tenant_mail(
        "Photos attached.",
        attachments=[
            ("a.jpg", "image/jpeg", small),
            ("b.pdf", "application/pdf", big),
            ("c.zip", "application/zip", third),
        ],
    )
    settings = Settings(limits=LimitsSettings(attachment_max_bytes=4000, message_attachments_max_bytes=3500))
    refs = {ref.name: ref for ref in EmailChannel().parse(record(raw), settings).attachments}
    assert refs["a.jpg"].stored and refs["a.jpg"].sha256 == hashlib.sha256(small).hexdigest()
    assert not refs["b.pdf"].stored and refs["b.pdf"].sha256 is None and "per-file" in refs["b.pdf"].note
    assert not refs["c.zip"].stored and "per-message" in refs["c.zip"].note
    assert refs["b.pdf"].size == 5000


def test_bounce_carries_a_delivery_report():
    raw = (corpus("autoreply-bounce") / "zammad" / "mail055.box").read_bytes()
    message = EmailChannel().parse(record(raw), Settings())
    assert message.auto == "bounce"
    report = message.delivery_report
    assert report.status == "bounced" and report.recipient == "ticket-bounce-trigger2@example.com"
    assert report.ref_id == "<20170526150141.232.13312@example.zammad.loc>" and report.reason.startswith("5.1.1")


def test_own_address_comes_from_settings():
    settings = Settings(email={"our_addresses": ["anna.mueller@example.org"], "instance_marker": "acme"})
    assert EmailChannel().parse(record(tenant_mail("x")), settings).auto == "own-address"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "Outlook"),
        (b"just some words\nwithout any header\n", "headers"),
    ],
)
def test_unparseable_input_raises_parse_error(payload, reason):
    with pytest.raises(ParseError, match=reason):
        EmailChannel().parse(record(payload), Settings())


def test_oversized_raw_mail_is_refused():
    settings = Settings(limits=LimitsSettings(raw_max_bytes=100))
    with pytest.raises(ParseError, match="raw_max_bytes"):
        EmailChannel().parse(record(tenant_mail("x" * 500)), settings)


def test_cli_prints_one_json_line_per_file_and_goes_on(tmp_path):
    good = tmp_path / "reply.eml"
    good.write_bytes(tenant_mail("Still dripping.", attachments=[("p.jpg", "image/jpeg", b"\xff\xd8data")]))
    bad = tmp_path / "broken.eml"
    bad.write_bytes(b"")
    bounce = corpus("autoreply-bounce") / "zammad" / "mail055.box"
    result = CliRunner().invoke(cli, ["parse-email", str(good), str(bad), str(bounce)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["file"] for line in lines] == [str(good), str(bad), str(bounce)]
    first = lines[0]
    assert set(first) == {
        "file",
        "message_id",
        "in_reply_to",
        "references",
        "from",
        "to",
        "subject",
        "date",
        "text",
        "full_text",
        "attachments",
        "auto",
    }
    assert first["from"] == "anna.mueller@example.org" and first["text"] == "Still dripping."
    assert first["attachments"] == [{"name": "p.jpg", "content_type": "image/jpeg", "size": 6}]
    assert lines[1] == {"file": str(bad), "error": "empty message"}
    assert lines[2]["auto"] == "bounce"


def test_cli_expands_folders_and_reports_every_bad_item_without_stopping(tmp_path, monkeypatch):
    folder = tmp_path / "mails"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.eml").write_bytes(tenant_mail("First."))
    (folder / "sub" / "b.eml").write_bytes(b"")
    (folder / ".hidden").write_bytes(b"not a mail")
    odd = Path(os.fsdecode(os.fsencode(folder) + b"/c\xff.eml"))  # a file name that is not UTF-8
    odd.write_bytes(tenant_mail("Third."))
    empty, missing = tmp_path / "empty", tmp_path / "missing.eml"
    empty.mkdir()
    oversized = tmp_path / "big.eml"
    oversized.write_bytes(tenant_mail("x" * 500))
    monkeypatch.setenv("INTAKE_LIMITS__RAW_MAX_BYTES", "400")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["parse-email", str(folder), str(empty), str(missing), str(oversized)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["file"] for line in lines] == [
        str(folder / "a.eml"),
        f"{folder}/c\\xff.eml",
        str(folder / "sub" / "b.eml"),
        str(empty),
        str(missing),
        str(oversized),
    ]
    assert [line.get("text") for line in lines[:2]] == ["First.", "Third."]
    assert lines[2] == {"file": str(folder / "sub" / "b.eml"), "error": "empty message"}
    assert lines[3] == {"file": str(empty), "error": "a folder with no files in it"}
    assert "No such file" in lines[4]["error"]
    assert lines[5] == {"file": str(oversized), "error": "larger than limits.raw_max_bytes (400 bytes)"}


def test_cli_exits_non_zero_only_when_no_file_parsed(tmp_path):
    bad = tmp_path / "broken.eml"
    bad.write_bytes(b"")
    result = CliRunner().invoke(cli, ["parse-email", str(bad), str(tmp_path / "missing.eml")])
    assert result.exit_code == 1
    assert [json.loads(line)["file"] for line in result.output.splitlines()] == [
        str(bad),
        str(tmp_path / "missing.eml"),
    ]


def test_html_is_sanitized_and_text_is_readable():
    msg = EmailMessage()
    msg["From"] = "tenant@example.org"
    msg["Subject"] = "Leak"
    msg.set_content(
        '<p onclick="steal()">Water <b>everywhere</b><script>alert(1)</script></p>'
        '<a href="javascript:alert(2)">click</a><img src="cid:photo1">',
        subtype="html",
    )
    message = EmailChannel().parse(record(msg.as_bytes()), Settings())
    assert message.full_text.startswith("Water everywhere")
    assert "script" not in message.html and "onclick" not in message.html and "javascript" not in message.html
    assert 'src="cid:photo1"' in message.html


def test_mail_forwarded_as_attachment_is_read():
    original = EmailMessage()
    original["From"] = "neighbour@example.org"
    original["Subject"] = "Water coming through my ceiling"
    original.set_content("Water is dripping from the flat above into my kitchen.")
    outer = EmailMessage()
    outer["From"] = "tenant@example.org"
    outer["Subject"] = "Fw: Water coming through my ceiling"
    outer.set_content("See below, please send someone.")
    outer.add_attachment(original)
    message = EmailChannel().parse(record(outer.as_bytes()), Settings())
    assert "dripping from the flat above" in message.full_text
    assert message.text.startswith("See below, please send someone.")
    assert "dripping from the flat above" in message.text
    (ref,) = message.attachments
    assert ref.content_type == "message/rfc822" and ref.name == "Water coming through my ceiling.eml"
