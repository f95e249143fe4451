"""The Cloud API's route: POST /webhooks/whatsapp signed with `X-Hub-Signature-256` (whatsapp.app_secret), and
Meta's subscription handshake on GET (hub.verify_token against whatsapp.verify_token)."""

from __future__ import annotations

import hmac

from aiohttp import web

from intake.channels.webhook import Webhook, configured_secret, refuse_signature
from intake.channels.whatsapp.payload import read_cloud_payload
from intake.channels.whatsapp.signature import verify_meta_signature
from intake.core.models import ChannelName
from intake.core.settings import Settings

SIGNATURE_HEADER = "X-Hub-Signature-256"


def cloud_webhook(settings: Settings) -> Webhook:
    """The route, bound to the settings it checks with."""
    depth = settings.limits.json_max_depth  # deeper bodies: 400, kept in quarantine (see load_json_object)

    def authenticate(raw: bytes, request: web.Request) -> bool:
        secret = configured_secret(settings.whatsapp.app_secret, "whatsapp.app_secret", ChannelName.WHATSAPP)
        header = request.headers.get(SIGNATURE_HEADER)
        if not verify_meta_signature(raw, header, secret):
            refuse_signature(SIGNATURE_HEADER, header)
        return True

    def handshake(request: web.Request) -> str | None:
        """Meta's subscription handshake: echo `hub.challenge` when the verify token matches."""
        expected = settings.whatsapp.verify_token
        token = request.query.get("hub.verify_token", "")
        challenge = request.query.get("hub.challenge", "")
        if (
            request.query.get("hub.mode") == "subscribe"
            and expected
            and expected.get_secret_value()
            and hmac.compare_digest(token.encode(), expected.get_secret_value().encode())
            and 0 < len(challenge) <= 256
        ):
            return challenge
        return None

    return Webhook(
        ChannelName.WHATSAPP,
        "/webhooks/whatsapp",
        authenticate,
        lambda raw: read_cloud_payload(raw, max_depth=depth),
        handshake,
    )
