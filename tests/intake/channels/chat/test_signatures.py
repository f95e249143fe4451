"""Webhook signatures against the corpus vectors: Meta's X-Hub-Signature-256 and WAHA's X-Webhook-Hmac."""

from __future__ import annotations

import json

import pytest

from intake.channels.waha.signature import sign_waha_payload, verify_waha_hmac
from intake.channels.whatsapp.signature import sign_meta_payload, verify_meta_signature
from tests.corpora import corpus


def _vectors():
    folder = corpus("whatsapp") / "cloud-api" / "signature-vectors"
    data = json.loads((folder / "vectors.json").read_text())
    return folder, data


def test_every_meta_vector_gives_the_documented_answer():
    folder, data = _vectors()
    checked = 0
    for case in data["cases"]:
        raw = (folder / case["file"]).read_bytes()
        verdict = verify_meta_signature(raw, case["X-Hub-Signature-256"], data["app_secret"])
        if case["expect"] == "valid":
            assert verdict, case
        elif case["expect"] == "invalid":
            assert not verdict, case
        else:  # uppercase hex: we are strict, Meta always sends lowercase
            assert not verdict, case
        checked += 1
    assert checked == len(data["cases"]) >= 5


def test_reserialised_body_does_not_verify_but_the_raw_bytes_do():
    folder, data = _vectors()
    raw = (folder / "body-nonascii-escaped.raw").read_bytes()
    assert b"\\u00e9" in raw  # the body carries non-ASCII as escapes
    reserialised = json.dumps(json.loads(raw), ensure_ascii=False).encode()
    header = sign_meta_payload(raw, data["app_secret"])
    assert verify_meta_signature(raw, header, data["app_secret"])
    assert not verify_meta_signature(reserialised, header, data["app_secret"])


def test_meta_cross_check_vector_and_malformed_headers():
    folder, data = _vectors()
    cross = data["cross_check"]
    assert sign_meta_payload(cross["msg"].encode(), cross["key"]) == "sha256=" + cross["hex"]
    raw = (folder / "body-ascii.raw").read_bytes()
    good = sign_meta_payload(raw, data["app_secret"])
    for header in ("", "sha256=", good[7:], "sha1=" + good[7:], good + "00", good.replace("sha256=", "SHA256=")):
        assert not verify_meta_signature(raw, header, data["app_secret"]), header
    assert not verify_meta_signature(raw, good, None)
    assert not verify_meta_signature(raw, good, "")
    assert not verify_meta_signature(raw + b" ", good, data["app_secret"])


def test_waha_documented_vector():
    vector = json.loads((corpus("whatsapp") / "waha" / "hmac-test-vector.json").read_text())
    raw = vector["body_raw"].encode()
    header = vector["header_X-Webhook-Hmac"]
    assert sign_waha_payload(raw, vector["secret_key"]) == header
    assert verify_waha_hmac(raw, header, vector["secret_key"], "sha512")
    assert not verify_waha_hmac(raw + b"\n", header, vector["secret_key"])
    assert not verify_waha_hmac(raw, header, "other-key")
    assert not verify_waha_hmac(raw, None, vector["secret_key"])
    assert not verify_waha_hmac(raw, header, vector["secret_key"], "md5")


@pytest.mark.parametrize("secret", ["s3cret", "ünïcode-secret"])
def test_meta_sign_and_verify_round_trip(secret):
    raw = b'{"a":"caf\\u00e9"}'
    assert verify_meta_signature(raw, sign_meta_payload(raw, secret), secret)


def test_secrets_come_from_the_environment(monkeypatch):
    from intake.core.settings import Settings, masked

    monkeypatch.setenv("INTAKE_WHATSAPP__APP_SECRET", "from-env")
    monkeypatch.setenv("INTAKE_WAHA__HMAC_KEY", "waha-env")
    monkeypatch.setenv("INTAKE_QCONTACT__WEBHOOK_SECRET", "qc-env")
    settings = Settings()
    assert settings.whatsapp.app_secret.get_secret_value() == "from-env"
    assert settings.waha.hmac_key.get_secret_value() == "waha-env"
    shown = masked(settings)
    assert shown["whatsapp"]["app_secret"] == "***" and "from-env" not in repr(settings)


def test_webhook_secrets_in_access_log_lines_are_redacted():
    from intake.logs import redact

    line = redact('"GET /webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=abc123&hub.challenge=7 HTTP/1.1" 200')
    assert "abc123" not in line and "hub.challenge=7" in line
    assert "qc-secret" not in redact('"POST /webhooks/qcontact?token=qc-secret HTTP/1.1" 200')
    assert "15550100101" not in redact("raw 7: sender +15550100101 is not in the registry")
