"""The command line's structure: commands are imported only when they run, and `--help` lists them from the
tables without importing them."""

from __future__ import annotations

import subprocess
import sys

import click

from intake.cli.lazy import LazyGroup
from intake.cli.main import cli


def _lazy_groups(group: LazyGroup, path: str = "intake"):
    yield path, group
    for name, entry in group.lazy.items():
        command = entry.load()
        if isinstance(command, LazyGroup):
            yield from _lazy_groups(command, f"{path} {name}")


def test_each_table_row_names_its_command_and_its_help():
    for path, group in _lazy_groups(cli):
        for name, entry in group.lazy.items():
            command = entry.load()
            assert command.name == name, f"{path} {name}: {entry.target} is named {command.name!r}"
            stand_in = click.Command(name, help=entry.help)
            for width in (30, 45, 80, 1000):  # the short help `--help` shows is the same at every width
                assert stand_in.get_short_help_str(width) == command.get_short_help_str(width), f"{path} {name}"


def test_help_imports_no_command_and_no_heavy_library():
    probe = (
        "import sys\n"
        "from intake.cli.main import cli\n"
        "try:\n"
        "    cli(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = [m for m in sys.modules if m.startswith('intake.cli.') and m not in ('intake.cli.main', 'intake.cli.lazy')]\n"
        "heavy = [m for m in ('spacy', 'sqlalchemy', 'dramatiq', 'aiohttp', 'pydantic_settings') if m in sys.modules]\n"
        "print(loaded, heavy, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert "beat" in result.stdout and "worker" in result.stdout
    assert result.stderr.strip() == "[] []"
