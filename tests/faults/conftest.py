"""The webhook fuzzing reuses the chat tests' real aiohttp server on loopback and its settings."""

from tests.intake.conftest import chat_settings, server  # noqa: F401
