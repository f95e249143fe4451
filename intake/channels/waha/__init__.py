"""WAHA (self-hosted WhatsApp HTTP API) channel: HMAC check, event splitting and parsing."""

from intake.channels.waha.channel import WahaChannel

CHANNEL = WahaChannel()
