"""A push channel's route in the web app: where the provider posts, how the raw body is authenticated and how
it is split into raw items. `intake.web.webhooks` serves every registered route the same way (body cap,
content type, group commit, quarantine of what a verified sender got wrong)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from aiohttp import web
from pydantic import SecretStr

from intake.channels.payload import Split
from intake.core.errors import SenderError
from intake.core.models import ChannelName

log = logging.getLogger(__name__)


class Refused(SenderError):
    """Ends a request with a JSON error; `keep` says whether the body is quarantined (authenticated only)."""

    def __init__(self, status: int, reason: str, keep: bool = False) -> None:
        super().__init__(reason)
        self.status, self.reason, self.keep = status, reason, keep


@dataclass(frozen=True)
class Webhook:
    """One route: POST `path` takes deliveries; `handshake`, if any, answers GET `path` (a subscription check)."""

    channel: ChannelName
    path: str  # e.g. "/webhooks/whatsapp"
    authenticate: Callable[[bytes, web.Request], bool]  # raises Refused; False: accepted unverified (no key)
    split: Callable[[bytes], Split]  # raises PayloadError
    handshake: Callable[[web.Request], str | None] | None = None  # the text to echo, or None: refused (403)


def configured_secret(secret: SecretStr | None, setting: str, channel: ChannelName, why: str = "") -> SecretStr:
    """The secret a route authenticates with; without one every delivery is refused (503, so the provider
    retries once the operator has set it) and the operator's error is logged. `why` adds to the log line."""
    if not secret or not secret.get_secret_value():
        log.error("webhook %s: %s is not configured%s; refusing deliveries", channel.value, setting, why)
        raise Refused(503, f"{setting} is not configured")
    return secret


def secret_bytes(secret: str | SecretStr) -> bytes:
    """A configured secret as the key bytes an HMAC is made with."""
    value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    return value.encode("utf-8")


def refuse_signature(header_name: str, header: str | None) -> NoReturn:
    """401 for a body whose signature header is missing or does not match."""
    raise Refused(401, f"missing {header_name}" if not header else f"invalid {header_name}")
