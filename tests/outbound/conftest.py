"""A real SMTP server (aiosmtpd) on a free loopback port: one that keeps every message, one that refuses them."""

from __future__ import annotations

import email
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller

from tests.servers import free_port


class Inbox:
    """An SMTP handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=default_policy))
        return "250 OK"


class Refuser:
    """An SMTP handler that answers every message with a temporary failure, counting the tries."""

    def __init__(self) -> None:
        self.tries = 0

    async def handle_DATA(self, server, session, envelope):
        self.tries += 1
        return "451 4.3.0 Mailbox temporarily unavailable"


@contextmanager
def smtp_server(handler):
    """Serve SMTP with `handler` on a free loopback port (set as `handler.port`) while the block runs."""
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_inbox() -> Iterator[Inbox]:
    with smtp_server(Inbox()) as inbox:
        yield inbox


@pytest.fixture
def refusing_smtp() -> Iterator[Refuser]:
    with smtp_server(Refuser()) as refuser:
        yield refuser
