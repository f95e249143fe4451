"""Automatic-mail detection against sisimai's and flufl.bounce's bounce sets, plus header rules."""

from __future__ import annotations

import json
from collections import Counter
from email import message_from_string

import pytest

from intake.channels.email.auto import detect_automatic
from tests.corpora import corpus
from tests.intake.channels.email.corpus_data import MARKER, OUR_ADDRESSES, percent, verdict


def _recognised(reason: str, found) -> bool:
    if reason == "vacation":
        return found is not None and found.reason == "auto-replied"
    if reason in ("feedback", "delivered"):  # abuse reports and success DSNs: automatic, not bounces
        return found is not None and found.reason == "auto-generated"
    return found is not None and found.reason == "bounce" and bool(found.bounce.recipients)


def test_sisimai_bounces_recognised_with_recipient():
    root = corpus("autoreply-bounce") / "sisimai"
    expected = json.loads((root / "EXPECTED.json").read_text(encoding="utf-8"))
    hits, misses = 0, Counter()
    hard_agree = hard_total = 0
    for name, entries in expected.items():
        found = verdict(root / "maildir-bsd" / name)
        if _recognised(entries[0]["reason"], found):
            hits += 1
        else:
            misses[name.rsplit("-", 1)[0]] += 1
        if found is not None and found.bounce and found.bounce.status and entries[0]["status"]:
            hard_total += 1
            hard_agree += found.bounce.status[0] == entries[0]["status"][0]
    total = len(expected)
    print(
        f"\nsisimai ({total}): recognised with recipient {hits} = {percent(hits, total)}%; "
        f"status class agrees {hard_agree}/{hard_total}; misses by engine {dict(misses)}"
    )
    assert total == 581
    assert hits >= 562
    assert hard_agree >= 0.97 * hard_total


def test_sisimai_ordinary_mail_is_never_flagged():
    for path in sorted((corpus("autoreply-bounce") / "sisimai" / "maildir-not").glob("is-not-bounce-*")):
        assert verdict(path) is None, path.name


def test_sisimai_vacation_replies():
    root = corpus("autoreply-bounce") / "sisimai" / "maildir-bsd"
    for path in sorted(root.glob("rfc3834-*.eml")):
        assert verdict(path).reason == "auto-replied", path.name


def test_flufl_bounced_addresses():
    root = corpus("autoreply-bounce") / "flufl-bounce"
    expected = json.loads((root / "EXPECTED.json").read_text(encoding="utf-8"))
    hits, misses = 0, []
    temporary_ok = temporary_total = 0
    for name, entries in expected.items():
        found = verdict(root / name)
        wanted = {a.lower() for entry in entries for a in entry["expected_addresses"]}
        if found is not None and found.reason == "bounce" and wanted <= set(found.bounce.recipients):
            hits += 1
        else:
            misses.append(name)
        if any(entry["temporary"] for entry in entries):
            temporary_total += 1
            temporary_ok += bool(found and found.bounce and found.bounce.action == "delayed")
    print(
        f"\nflufl-bounce ({len(expected)}): every expected address found {hits} = "
        f"{percent(hits, len(expected))}%; delays recognised {temporary_ok}/{temporary_total}; misses {misses}"
    )
    assert len(expected) == 101
    assert hits >= 97
    assert temporary_ok >= 9


@pytest.mark.parametrize(
    ("name", "recipient", "status", "original"),
    [
        (
            "mail033-undelivered-mail-returned-to-sender.box",
            "not_existing@znuny.com",
            "5.1.1",
            "<20150830145601.30.608881@edenhofer.zammad.com>",
        ),
        (
            "mail033-undelivered-mail-returned-to-sender-notification.box",
            "not_existing@znuny.com",
            "5.1.1",
            "<notification.20150830145600.1.4.5f4fd063-f69b-4e64-a92d-5e7128bd6682@127.0.0.1:3000>",
        ),
        ("mail055.box", "ticket-bounce-trigger2@example.com", "5.1.1", "<20170526150141.232.13312@example.zammad.loc>"),
    ],
)
def test_zammad_bounces_point_at_our_original(name, recipient, status, original):
    found = verdict(corpus("autoreply-bounce") / "zammad" / name)
    assert found.reason == "bounce"
    assert found.bounce.recipients[0] == recipient and found.bounce.status == status and found.bounce.hard
    assert found.bounce.original_message_id == original


def test_zammad_delay_notification_is_not_hard():
    found = verdict(corpus("autoreply-bounce") / "zammad" / "mail078.box")
    assert found.reason == "bounce" and found.bounce.action == "delayed" and not found.bounce.hard


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("auto_generated_header.eml", "auto-generated"),
        ("auto_reply.eml", "auto-generated"),
        ("auto_generated_precedence.eml", "list"),
        ("auto_generated_subject.eml", "auto-generated"),
    ],
)
def test_discourse_automatic_mail(name, reason):
    assert verdict(corpus("autoreply-bounce") / "discourse" / name).reason == reason


def _mail(headers: str, body: str = "The tap in the kitchen is dripping.") -> object:
    subject = "" if "Subject:" in headers else "\nSubject: Tap"
    return message_from_string(f"{headers}{subject}\nTo: maintenance@intake.example\n\n{body}\n")


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("From: tenant@example.org", None),
        ("From: tenant@example.org\nAuto-Submitted: no", None),
        ("From: tenant@example.org\nAuto-Submitted: auto-replied", "auto-replied"),
        ("From: tenant@example.org\nAuto-Submitted: auto-generated", "auto-generated"),
        ("From: tenant@example.org\nX-Autoreply: yes", "auto-replied"),
        ("From: tenant@example.org\nX-Autorespond: on", "auto-replied"),
        ("From: tenant@example.org\nSubject: Automatic reply: Tap", "auto-replied"),
        ("From: tenant@example.org\nSubject: Absence of hot water since Monday", None),
        ("From: tenant@example.org\nSubject: Vacation flat: the boiler is leaking", None),
        ("From: news@example.org\nPrecedence: bulk", "bulk"),
        ("From: news@example.org\nPrecedence: junk", "bulk"),
        ("From: list@example.org\nPrecedence: list", "list"),
        ("From: member@example.org\nList-Id: <tenants.example.org>", "list"),
        ("From: Maintenance <Maintenance@intake.example>", "own-address"),
        ("From: tenant@example.org\nX-Loop: intake", "loop"),
        ("From: tenant@example.org\nMessage-ID: <intake.EML-000123.5f2a@intake.example>", "loop"),
        ("From: tenant@example.org\nMessage-ID: <abc.123@mail.intake.org>", None),
        ("From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail Returned to Sender", "bounce"),
    ],
)
def test_header_rules(headers, reason):
    found = detect_automatic(_mail(headers), OUR_ADDRESSES, MARKER)
    assert (found.reason if found else None) == reason
    if found:
        assert found.detail


def test_non_standard_bounce_text():
    mail = message_from_string(
        "From: MAILER-DAEMON@mx.example.org\nTo: maintenance@intake.example\nSubject: failure notice\n\n"
        "Hi. This is the qmail-send program at mx.example.org.\nI'm afraid I wasn't able to deliver your message"
        " to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        "<tenant@example.org>:\n550 5.1.1 No such user\n\n--- Below this line is a copy of the message.\n\n"
        "Message-ID: <42.1@intake>\nTo: tenant@example.org\nSubject: Your repair\n"
    )
    found = detect_automatic(mail, OUR_ADDRESSES, MARKER)
    assert found.reason == "bounce"
    assert found.bounce.recipients == ["tenant@example.org"]
    assert found.bounce.status == "5.1.1" and found.bounce.hard
    assert found.bounce.original_message_id == "<42.1@intake>"


def test_tenant_forwarding_a_mail_with_an_error_subject_is_not_a_bounce():
    from email.message import EmailMessage

    inner = EmailMessage()
    inner["From"] = "billing@landlord.example"
    inner["Subject"] = "Your invoice"
    inner.set_content("Amount due: 1200")
    outer = EmailMessage()
    outer["From"] = "tenant@example.org"
    outer["Subject"] = "Error in my bill, returned payment"
    outer.set_content("The amount is wrong, see the attached mail.")
    outer.add_attachment(inner)
    assert detect_automatic(outer, OUR_ADDRESSES, MARKER) is None


@pytest.mark.parametrize(
    "charset, cte", [("utf-8", "7bit"), ("utf-8", "base64"), ("utf-8", "quoted-printable"), ("utf-16", "base64")]
)
def test_an_ses_notification_is_a_bounce_in_any_transfer_encoding(charset, cte):
    """The SES test looks at the parts' bytes before decoding their charsets; every encoding must still pass."""
    from email.message import EmailMessage

    notification = {
        "notificationType": "Bounce",
        "mail": {"messageId": "0100abc"},
        "bounce": {
            "bounceType": "Permanent",
            "bouncedRecipients": [
                {"emailAddress": "tenant@example.org", "status": "5.1.1", "diagnosticCode": "smtp; 550 no such user"}
            ],
        },
    }
    mail = EmailMessage()
    mail["From"] = "no-reply@sns.amazonaws.com"
    mail["To"] = "maintenance@intake.example"
    mail["Subject"] = "AWS Notification Message"
    mail.set_content(json.dumps(notification, indent=2) + "\n", charset=charset, cte=cte)
    found = detect_automatic(mail, OUR_ADDRESSES, MARKER)
    assert found.reason == "bounce"
    assert found.bounce.recipients == ["tenant@example.org"] and found.bounce.hard
    assert found.bounce.original_message_id == "<0100abc>"
