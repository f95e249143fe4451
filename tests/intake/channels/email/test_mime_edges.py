"""Email fidelity at the edges of MIME (#18): each class with mails written here, parsed as the worker does."""

from __future__ import annotations

import pytest

from intake.channels.email.parse import parse_email

HEAD = b"From: Tenant <tenant@example.net>\r\nTo: help@example.com\r\nSubject: Leak\r\nMIME-Version: 1.0\r\n"


def parse(rest: bytes):
    return parse_email(HEAD + rest)


def multipart(kind: str, *parts: bytes) -> bytes:
    body = b"".join(b"--b\r\n" + part + b"\r\n" for part in parts)
    return f'Content-Type: multipart/{kind}; boundary="b"\r\n\r\n'.encode() + body + b"--b--\r\n"


PLAIN = b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
HTML = b"Content-Type: text/html; charset=utf-8\r\n\r\n"


def test_several_plain_alternatives_give_one_not_all_joined():
    parsed = parse(
        multipart(
            "alternative",
            PLAIN + b"The tap drips (short version).",
            PLAIN + b"The kitchen tap drips day and night (full version).",
        )
    )
    assert parsed.full_text == "The kitchen tap drips day and night (full version)."


def test_the_richest_alternative_wins_and_its_plain_form_is_kept():
    related = (
        b'Content-Type: multipart/related; boundary="r"\r\n\r\n--r\r\n'
        + HTML
        + b"<p>Rich: the <b>kitchen tap</b> drips.</p><img src='cid:pic'>\r\n--r\r\n"
        b"Content-Type: image/png\r\nContent-ID: <pic>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"iVBORw0KGgo=\r\n--r--"
    )
    parsed = parse(
        multipart(
            "alternative", PLAIN + b"Plain: the kitchen tap drips.", HTML + b"<p>Poor: the tap drips.</p>", related
        )
    )
    assert parsed.parts.plain == ["Plain: the kitchen tap drips."]
    assert len(parsed.parts.html) == 1 and "Rich" in parsed.parts.html[0] and "Poor" not in parsed.parts.html[0]
    assert [a.content_type for a in parsed.parts.attachments] == ["image/png"]  # nothing of it lost


@pytest.mark.parametrize(
    "headers, name",
    [
        (b'Content-Type: application/pdf; file="lease-2026.pdf"', "lease-2026.pdf"),
        (b"Content-Type: application/pdf; filename=invoice.pdf", "invoice.pdf"),
        (b'Content-Type: application/pdf; file*0="very-long-"; file*1="report.pdf"', "very-long-report.pdf"),
        (
            b'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*0="floor-"; filename*1="plan.pdf"',
            "floor-plan.pdf",
        ),
        (b"Content-Type: application/pdf; name*0*=utf-8''r%C3%A9; name*1*=sum%C3%A9.pdf", "résumé.pdf"),
    ],
)
def test_attachment_names_from_every_common_carrier(headers, name):
    parsed = parse(
        multipart(
            "mixed", PLAIN + b"See attached.", headers + b"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ="
        )
    )
    assert [a.name for a in parsed.parts.attachments] == [name]


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="{}">',
        '<meta http-equiv="Content-Type" content="text/html; charset={}">',
    ],
)
@pytest.mark.parametrize(
    "text, charset",
    [
        ("水管漏水了", "gb2312"),
        ("Protège la crème à l'été", "windows-1252"),
        ("수도", "euc-kr"),
        ("Привет", "koi8-r"),
        ("Γεια σας", "iso-8859-7"),
    ],
)
def test_a_charset_declared_only_in_the_html_meta_is_used(meta, text, charset):
    """Texts a guess gets wrong (too short, or Latin-2 and Latin-1 equally clean): only the page says."""
    page = f"<html><head>{meta.format(charset)}<title>t</title></head><body><p>{text}</p></body></html>"
    parsed = parse(b"Content-Type: text/html\r\n\r\n" + page.encode(charset))
    assert parsed.full_text == text


@pytest.mark.parametrize(
    "text, charset",
    [
        ("厨房漏水", "gb2312"),
        ("请尽快派人来修理厨房的水管，已经漏水两天了。", "gb2312"),
        ("水管漏水", "big5"),
        ("請盡快派人來修理廚房的水管，已經漏水兩天了。", "big5"),
        ("水漏れ", "shift_jis"),
        ("台所の水道管から水漏れしています。", "shift_jis"),
        ("台所の水道管から水漏れ", "euc-jp"),
        ("부엌 수도관에서 물이 새요", "euc-kr"),
    ],
)
def test_legacy_cjk_without_a_declared_charset_is_detected(text, charset):
    body = f"Hello, flat 3B here. {text} Thanks.".encode(charset)
    assert (
        parse(b"Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body).full_text
        == f"Hello, flat 3B here. {text} Thanks."
    )
    assert parse(b"Content-Type: text/plain\r\n\r\n" + text.encode(charset)).full_text == text


@pytest.mark.parametrize(
    "encoded",
    [
        b"VGhlIGtpdGNoZW4gdGFwIGRyaXBzISE=A",
        b"VGhlIGtpdGNoZW4gdGFwIGRyaXBzISEhA",
        b"VGhlIGtpdGNoZW4g\r\ndGFwIGRyaXBzISEhA",
    ],
)
def test_base64_with_a_stray_trailing_character_is_decoded(encoded):
    parsed = parse(
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + encoded + b"\r\n"
    )
    assert parsed.full_text.startswith("The kitchen tap drips!!")


@pytest.mark.parametrize("ctype", [b"text/plain>", b'text/plain"; charset=utf-8', b"text/plain;>"])
def test_a_mangled_text_content_type_stays_the_body(ctype):
    parsed = parse(b"Content-Type: " + ctype + b"\r\n\r\nThe kitchen tap drips.\r\n")
    assert parsed.full_text == "The kitchen tap drips." and parsed.parts.attachments == []


def test_a_mangled_html_content_type_in_a_multipart_stays_the_body():
    parsed = parse(multipart("mixed", b"Content-Type: text/html>\r\n\r\n<p>The kitchen tap drips.</p>"))
    assert parsed.full_text == "The kitchen tap drips." and parsed.parts.attachments == []
