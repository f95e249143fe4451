"""WAHA's route: POST /webhooks/waha signed with `X-Webhook-Hmac` (waha.hmac_key), or unsigned where the
operator chose a private network instead (waha.allow_unsigned)."""

from __future__ import annotations

from aiohttp import web

from intake.channels.waha.payload import read_waha_payload
from intake.channels.waha.signature import verify_waha_hmac
from intake.channels.webhook import Webhook, configured_secret, refuse_signature
from intake.core.models import ChannelName
from intake.core.settings import Settings

SIGNATURE_HEADER = "X-Webhook-Hmac"


def waha_webhook(settings: Settings) -> Webhook:
    """The route, bound to the settings it checks with."""
    depth = settings.limits.json_max_depth  # deeper bodies: 400, kept in quarantine (see load_json_object)

    def authenticate(raw: bytes, request: web.Request) -> bool:
        key = settings.waha.hmac_key
        if settings.waha.allow_unsigned and not (key and key.get_secret_value()):
            return False  # chosen on purpose: the deployment relies on a private network instead
        key = configured_secret(key, "waha.hmac_key", ChannelName.WAHA, why=" (nor waha.allow_unsigned)")
        header = request.headers.get(SIGNATURE_HEADER)
        if not verify_waha_hmac(raw, header, key, request.headers.get("X-Webhook-Hmac-Algorithm")):
            refuse_signature(SIGNATURE_HEADER, header)
        return True

    return Webhook(
        ChannelName.WAHA, "/webhooks/waha", authenticate, lambda raw: read_waha_payload(raw, max_depth=depth)
    )
