"""`intake registry import FILE`: load properties, units and tenants."""

from __future__ import annotations

import click

from intake.cli.common import open_runtime
from intake.core.models import utcnow
from intake.runtime import REGISTRY_VERSION
from store import registry_db
from store.cursors import set_cursor
from store.errors import RegistryError
from store.registry import load_registry


@click.group("registry")
def registry_group() -> None:
    """Properties, units and tenants."""


@registry_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def registry_import(file: str) -> None:
    """Replace the registry with FILE (YAML); nothing changes when the file is invalid."""
    try:
        registry = load_registry(file)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    runtime = open_runtime(needs_rules=False)
    with runtime.db.session() as session:
        counts = registry_db.import_registry(session, registry)
        set_cursor(session, REGISTRY_VERSION, utcnow().isoformat())  # workers rebuild their classifier
    click.echo("imported " + ", ".join(f"{n} {what}" for what, n in counts.items()))
