"""WAHA's webhook HMAC: `X-Webhook-Hmac` = hex HMAC-SHA512 of the raw body with the configured key."""

from __future__ import annotations

import hashlib
import hmac

from pydantic import SecretStr

from intake.channels.webhook import secret_bytes

_ALGORITHMS = {"sha512": hashlib.sha512}


def sign_waha_payload(raw: bytes, key: str | SecretStr) -> str:
    """The `X-Webhook-Hmac` value WAHA sends for this body."""
    return hmac.new(secret_bytes(key), raw, hashlib.sha512).hexdigest()


def verify_waha_hmac(raw: bytes, header: str | None, key: str | SecretStr | None, algorithm: str | None = None) -> bool:
    """True when the hex digest in `header` matches; WAHA documents sha512 only, anything else is refused."""
    if not header or key is None or not secret_bytes(key):
        return False
    digest = _ALGORITHMS.get((algorithm or "sha512").strip().lower())
    if digest is None:
        return False
    expected = hmac.new(secret_bytes(key), raw, digest).hexdigest()
    return hmac.compare_digest(expected, header.strip().lower())
