"""Entry point of the `intake` console script.

Every module in `intake.cli` that defines `register(group)` adds its commands, so a new feature brings its
own command module without touching this file.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil

import click

import intake.cli


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="TOML config file (else INTAKE_CONFIG or ./intake.toml).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
def cli(config_file: str | None, verbose: bool) -> None:
    """Intake: turn tenants' emails and chat messages into classified, assigned tickets."""
    import os

    if config_file:
        os.environ["INTAKE_CONFIG"] = config_file
    from intake.logs import setup_logging

    setup_logging(logging.DEBUG if verbose else None)


def _register_all(group: click.Group) -> None:
    for info in sorted(pkgutil.iter_modules(intake.cli.__path__), key=lambda m: m.name):
        if info.name == "main":
            continue
        module = importlib.import_module(f"intake.cli.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(group)


_register_all(cli)

if __name__ == "__main__":
    cli()
