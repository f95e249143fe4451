"""`intake config show`: the effective configuration, secrets masked, and what in it deserves a second look."""

from __future__ import annotations

import json

import click

from intake.core.settings import NOT_USED_YET, Settings, get_settings, masked


@click.group("config")
def config_group() -> None:
    """Configuration."""


@config_group.command("show")
def config_show() -> None:
    """Print the effective configuration (defaults < intake.toml < INTAKE_* env), secrets as ***.

    The JSON goes to standard output; notes (settings not used yet) and warnings go to standard error.
    """
    settings = get_settings()
    click.echo(json.dumps(masked(settings), indent=2, default=str))
    for line in config_notes(settings):
        click.echo(line, err=True)


def config_notes(settings: Settings) -> list[str]:
    """One line per setting nothing reads yet, then one per risky choice in `settings`."""
    notes = [
        f"note: {key} is not used yet (kept for a coming feature; changing it changes nothing today)"
        for key in sorted(NOT_USED_YET)
    ]
    return notes + config_warnings(settings)


def config_warnings(settings: Settings) -> list[str]:
    """Settings that leave a door open, or a channel refusing every delivery."""
    warnings = []
    if settings.waha.hmac_key is None and settings.waha.allow_unsigned:
        warnings.append(
            "warning: waha.allow_unsigned = true and no waha.hmac_key: anyone who can reach the WAHA "
            "webhook can post messages that become tickets"
        )
    elif settings.waha.hmac_key is None:
        warnings.append(
            "warning: waha.hmac_key is not set: the WAHA webhook refuses deliveries (503) "
            "until it is (or waha.allow_unsigned = true on purpose)"
        )
    return warnings
