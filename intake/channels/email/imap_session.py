"""IMAP connections for the poller: TLS as configured, login, and telling broken connections from refusals.

Part of the IMAP poller (`imap.py`): this module only talks to the server; what to fetch and what to store is
decided in `imap_sync.py`. Passwords come from `MailboxSettings.password_value()` and never reach a log line.
"""

from __future__ import annotations

import ast
import logging
import socket
import ssl

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from intake.core.errors import OperatorError
from intake.core.settings import MailboxSettings

log = logging.getLogger(__name__)
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class MailboxError(OperatorError):
    """A mailbox cannot be polled (login refused, folder missing); the message names the mailbox."""


def connect(mailbox: MailboxSettings) -> IMAPClient:
    """A logged-in client for `mailbox` (TLS per `security`); raises `MailboxError` when login is refused."""
    try:
        password = mailbox.password_value()
    except ValueError:
        raise MailboxError(f"{mailbox.name}: password_env names {mailbox.password_env}, which is not set") from None
    context = ssl.create_default_context(cafile=str(mailbox.ca_file) if mailbox.ca_file else None)
    use_ssl = mailbox.security == "ssl"
    if mailbox.security == "none" and mailbox.host not in LOOPBACK:
        log.warning("%s: security = none: the password crosses the network unencrypted", mailbox.name)
    client = IMAPClient(
        mailbox.host,
        port=mailbox.port,
        ssl=use_ssl,
        ssl_context=context if use_ssl else None,
        timeout=mailbox.timeout_seconds,
    )
    try:
        if mailbox.security == "starttls":
            client.starttls(context)
        client.login(mailbox.username, password)
    except BaseException as exc:
        close(client)
        if is_connection_error(exc) or not isinstance(exc, IMAPClientError):
            raise
        # imaplib puts the server's answer in the message, never the password we sent
        raise MailboxError(
            f"{mailbox.name}: login as {mailbox.username} at {mailbox.host}:{mailbox.port} refused: {error_text(exc)}"
        ) from None
    return client


def is_connection_error(exc: BaseException) -> bool:
    """True when the connection itself broke (reconnect and retry), not when the server refused one command."""
    return isinstance(exc, (IMAPClientAbortError, OSError, socket.timeout, ssl.SSLError, EOFError))


def close(client: IMAPClient) -> None:
    """Log out politely when the connection still works; just drop the socket when it does not."""
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception:
            pass


def error_text(exc: BaseException) -> str:
    """The server's answer in an imaplib error, as text."""
    value = exc.args[0] if exc.args else exc
    if isinstance(value, str) and value[:2] in ("b'", 'b"') and value[-1:] == value[1]:
        try:  # imapclient wraps some errors as str(bytes): "b'[AUTHENTICATIONFAILED] …'"
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            pass
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
