"""A click group that imports a command's module only when that command runs.

Most commands pull in heavy libraries (spaCy, SQLAlchemy, Dramatiq, aiohttp); `intake --help`, a typo or one
command should not pay for all of them. A group lists its commands in a table of `LazyCommand`s: where the
command object lives (`module:attribute`) and the first paragraph of its help, which `--help` shows without
importing the module. tests/intake/test_cli.py checks that each table entry still matches its command.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True)
class LazyCommand:
    """A command not imported yet: `target` is `module:attribute`, `help` its help's first paragraph."""

    target: str
    help: str

    def load(self) -> click.Command:
        """Import the module and return the command object."""
        module_name, attribute = self.target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


class LazyGroup(click.Group):
    """A group whose commands in `lazy` are imported on first use; commands added directly work as usual."""

    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(self.lazy[cmd_name].load(), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `--help`, as click draws it, from the table for commands not imported yet."""
        shown = [(name, self._listed(name)) for name in self.list_commands(ctx)]
        shown = [(name, command) for name, command in shown if not command.hidden]
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in shown)
        with formatter.section("Commands"):
            formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in shown])

    def _listed(self, name: str) -> click.Command:
        """The command if imported, else a stand-in carrying the table's help (shortened the same way)."""
        if name in self.commands:
            return self.commands[name]
        return click.Command(name, help=self.lazy[name].help)
