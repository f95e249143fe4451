"""The start-up check of commands that store and process mail: with broken rules they refuse to start.

A one-off command (`intake ingest`, `tickets create`, `demo`, `run`, `worker`) has no last good version of the
rules to fall back on, so items it stored would only wait for a fix; it stops first, printing every problem as
file:line:column, and exits 1 before it stores anything. A running service keeps its last good rules instead
(assignment.holder, intake.classifier_rules).
"""

from __future__ import annotations

import click

from intake.cli.common import require_rules_dir
from intake.core.settings import Settings, get_settings
from intake.rules_folder import RulesInvalid, require_valid_rules


def refuse_broken_rules(settings: Settings | None = None) -> None:
    """Raise a ClickException (exit 1) listing every problem of the rules folder the command would use."""
    settings = settings or get_settings()
    require_rules_dir(settings)  # a missing folder is one line, not a "file is missing" for each rules file
    try:
        require_valid_rules(settings.rules_dir)
    except RulesInvalid as exc:
        raise click.ClickException(
            f"{exc}\nfix them (`intake rules check {settings.rules_dir}`) and run again"
        ) from None
