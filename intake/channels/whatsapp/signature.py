"""Meta's `X-Hub-Signature-256` check: HMAC-SHA256 of the raw body bytes, exactly as received.

Runs first in the webhook handler, before any JSON parsing: Meta signs the bytes with non-ASCII written
as `\\uXXXX` escapes, so a re-serialised body would never verify.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from pydantic import SecretStr

from intake.channels.webhook import secret_bytes

_HEADER = re.compile(r"sha256=([0-9a-f]{64})")


def sign_meta_payload(raw: bytes, secret: str | SecretStr) -> str:
    """The header value Meta would send for this body: 'sha256=' + lowercase hex."""
    return "sha256=" + hmac.new(secret_bytes(secret), raw, hashlib.sha256).hexdigest()


def verify_meta_signature(raw: bytes, header: str | None, secret: str | SecretStr | None) -> bool:
    """True only when `header` is 'sha256=<64 lowercase hex>' matching the body; constant-time compare.

    Uppercase hex is rejected: Meta always sends lowercase, and a strict form leaves less to argue about.
    """
    if not header or secret is None or not secret_bytes(secret):
        return False
    match = _HEADER.fullmatch(header.strip())
    if match is None:
        return False
    expected = hmac.new(secret_bytes(secret), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, match.group(1))
