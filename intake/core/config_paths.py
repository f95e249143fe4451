"""Where the configuration's relative paths point, so a command works from any folder.

A relative path written in the TOML file (and a relative default, when a file is in use) is taken relative to
that file's folder; one from the environment, or a default with no file at all, stays relative to the current
directory. Paths are the `Path` settings (`data_dir`, `rules_dir`, `registry_file`, mailboxes' `ca_file`,
`qcontact.mapping_file`) and the file of a SQLite `database_url`.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# Relative defaults that follow the configuration file when there is one (the others default to None).
FILE_RELATIVE_DEFAULTS = ("data_dir", "rules_dir", "database_url")


def resolve_file_paths(model: type[BaseModel], data: dict[str, Any], base: Path) -> dict[str, Any]:
    """`data` (one TOML file's content for `model`) with its relative paths made absolute under `base`."""
    resolved = dict(data)
    for name, value in data.items():
        field = model.model_fields.get(name)
        if field is None:
            continue
        if name == "database_url" and isinstance(value, str):
            resolved[name] = resolve_sqlite_url(value, base)
        elif _is_path(field.annotation) and isinstance(value, str):
            resolved[name] = str(_under(Path(value), base))
        elif (sub := model_of(field.annotation)) is not None and isinstance(value, dict):
            resolved[name] = resolve_file_paths(sub, value, base)
        elif (sub := list_model_of(field.annotation)) is not None and isinstance(value, list):
            resolved[name] = [resolve_file_paths(sub, v, base) if isinstance(v, dict) else v for v in value]
    return resolved


def file_relative_defaults(model: type[BaseModel], data: dict[str, Any], base: Path) -> dict[str, Any]:
    """The relative defaults the file does not set, resolved under its folder (`rules` → /etc/intake/rules)."""
    missing = {name: model.model_fields[name].default for name in FILE_RELATIVE_DEFAULTS if name not in data}
    return resolve_file_paths(model, {k: str(v) for k, v in missing.items()}, base)


def resolve_sqlite_url(url: str, base: Path) -> str:
    """A SQLite URL whose file is relative, re-rooted under `base`; every other URL unchanged."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # not ours to judge here: the database layer reports it
    database = parsed.database
    if (
        not parsed.drivername.startswith("sqlite")
        or not database
        or database == ":memory:"
        or database.startswith("file:")
        or Path(database).is_absolute()
    ):
        return url
    return parsed.set(database=str(_under(Path(database), base))).render_as_string(hide_password=False)


def _under(path: Path, base: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else base / path


def _args(annotation: Any) -> tuple[Any, ...]:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return typing.get_args(annotation)
    return (annotation,)


def _is_path(annotation: Any) -> bool:
    return any(arg is Path for arg in _args(annotation))


def model_of(annotation: Any) -> type[BaseModel] | None:
    """The settings model a field holds (`LimitsSettings`, or `X` of `X | None`), else None."""
    return next((a for a in _args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)), None)


def list_model_of(annotation: Any) -> type[BaseModel] | None:
    """The model of a list-of-tables field (`list[MailboxSettings]`), else None."""
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        return model_of(item)
    return None
