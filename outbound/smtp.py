"""Delivering an email over SMTP (smtplib), with the security the configuration asks for."""

from __future__ import annotations

import smtplib
import ssl

from intake.core.settings import EmailSettings


def send_email(settings: EmailSettings, raw: bytes, sender: str, recipients: list[str], timeout: float = 30) -> None:
    """Hand one message to the SMTP server; raises smtplib/OSError errors for the caller to retry."""
    if settings.smtp_security == "ssl":
        client = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with client:
        if settings.smtp_security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            client.login(settings.smtp_username, password)
        client.sendmail(sender, recipients, raw)
