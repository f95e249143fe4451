"""QContact's route: POST /webhooks/qcontact with the shared token (qcontact.webhook_secret) in a header
(qcontact.webhook_token_header) or the `token` query parameter."""

from __future__ import annotations

import hmac

from aiohttp import web

from intake.channels.qcontact.mapping import load_mapping
from intake.channels.qcontact.payload import read_qcontact_payload
from intake.channels.webhook import Refused, Webhook, configured_secret
from intake.core.models import ChannelName
from intake.core.settings import Settings


def qcontact_webhook(settings: Settings) -> Webhook:
    """The route, bound to the settings it checks with and to the field mapping (a bad mapping file fails here,
    at start-up)."""
    mapping = load_mapping(settings.qcontact.mapping_file)
    depth = settings.limits.json_max_depth  # deeper bodies: 400, kept in quarantine (see load_json_object)
    header_name = settings.qcontact.webhook_token_header

    def authenticate(raw: bytes, request: web.Request) -> bool:
        secret = configured_secret(settings.qcontact.webhook_secret, "qcontact.webhook_secret", ChannelName.QCONTACT)
        given = request.headers.get(header_name) or request.query.get("token") or ""
        if not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
            raise Refused(401, f"missing or wrong {header_name}")
        return True

    return Webhook(
        ChannelName.QCONTACT,
        "/webhooks/qcontact",
        authenticate,
        lambda raw: read_qcontact_payload(raw, mapping, max_depth=depth),
    )
