"""`intake config show`: the effective configuration, secrets masked."""

from __future__ import annotations

import json

import click

from intake.config import get_settings, masked


@click.group("config")
def config_group() -> None:
    """Configuration."""


@config_group.command("show")
def config_show() -> None:
    """Print the effective configuration (defaults < intake.toml < INTAKE_* env), secrets as ***."""
    click.echo(json.dumps(masked(get_settings()), indent=2, default=str))


def register(group: click.Group) -> None:
    group.add_command(config_group)
