"""WAHA (self-hosted WhatsApp HTTP API) channel: HMAC check, event splitting and parsing."""
