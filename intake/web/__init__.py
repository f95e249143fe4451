"""The aiohttp server: signed webhooks for push channels, and the health endpoint."""
