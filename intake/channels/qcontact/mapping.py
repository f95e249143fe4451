"""The data-driven QContact field mapping: which JSON paths of a case or interaction feed which message field.

Loaded once per process from `qcontact.mapping_file` (or the packaged `default_mapping.yaml`) and
validated on load, so a typo in a key fails at start-up with the file and key, not at 3 a.m.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from intake.core.errors import OperatorError

DEFAULT_MAPPING = Path(__file__).with_name("default_mapping.yaml")
_TEMPLATE_PART = re.compile(r"\{([^{}]+)\}")
Paths = list[str]  # JSON paths, dotted ("contact.phone"), or templates ("{first} {last}")


class MappingError(OperatorError, ValueError):
    """The mapping file cannot be used; the text names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UpdateCall(_Strict):
    method: str = "PATCH"
    path: str = "entities/Case/{case_id}"
    body: dict[str, Any] = Field(default_factory=lambda: {"status": "{status}"})


class ApiMapping(_Strict):
    cases_path: str = "entities/Case"
    results: str = "results"
    items_param: str = "items"
    page_param: str = "page"
    filters_param: str = "filters"
    cursor_field: str = "updated_at"
    # Query parameters asking for the oldest change first; sent on every page (the poller does not rely on it).
    sort_params: dict[str, str] = Field(default_factory=lambda: {"sort": "updated_at", "sort_direction": "asc"})
    since_filters: str
    sign_in_path: str = "auth/sign_in"
    update_status: UpdateCall = Field(default_factory=UpdateCall)


class WebhookMapping(_Strict):
    event: Paths = []
    interaction: Paths = []
    case: Paths = []
    ignore_directions: list[str] = []  # interactions in these directions are ours (agents' replies)


class RecordMapping(_Strict):
    """Where a case's or an interaction's fields are: for each, the JSON paths tried in order (see `pick`)."""

    # the record, its case and the provider's ticket number
    id: list[str]
    case_id: Paths = []
    ticket_id: Paths = []
    # what it says
    subject: Paths = []
    text: Paths = []
    status: Paths = []
    direction: Paths = []
    # who sent it
    phone: Paths = []
    email: Paths = []
    contact_id: Paths = []
    name: Paths = []
    # when, and through which of QContact's own channels
    created_at: Paths = []
    updated_at: Paths = []
    source_channel: Paths = []


class QContactMapping(_Strict):
    api: ApiMapping
    webhook: WebhookMapping
    case: RecordMapping
    interaction: RecordMapping


def load_mapping(path: Path | None = None) -> QContactMapping:
    """The mapping in `path` (default: the packaged one); MappingError names the file and bad key.

    Parsed once per version of the file: an edit by ops is picked up by the next item, no restart needed."""
    path = Path(path) if path else DEFAULT_MAPPING
    try:
        stat = path.stat()
    except OSError as exc:
        raise MappingError(f"{path}: {exc}") from None
    return _parse_mapping(path, (stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=8)
def _parse_mapping(path: Path, version: tuple[int, int]) -> QContactMapping:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: {exc}") from None
    try:
        return QContactMapping.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise MappingError(f"{path}: {problems}") from None


def lookup(record: Any, path: str) -> Any:
    """The value at a dotted path ('contact.phone_number'), or None; '.' is the record itself."""
    if path == ".":
        return record
    value = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def pick(record: Any, paths: list[str]) -> Any:
    """The first non-empty value among `paths`; a '{a} {b}' template joins the parts it finds."""
    for path in paths:
        if "{" in path:
            parts = {name: lookup(record, name) for name in _TEMPLATE_PART.findall(path)}
            if not any(v not in (None, "") for v in parts.values()):
                continue
            text = _TEMPLATE_PART.sub(
                lambda m, parts=parts: "" if parts[m.group(1)] is None else str(parts[m.group(1)]), path
            )
            value = " ".join(text.split())
        else:
            value = lookup(record, path)
        if value not in (None, "", [], {}):
            return value
    return None


def pick_text(record: Any, paths: list[str]) -> str | None:
    value = pick(record, paths)
    return None if value is None else str(value)


def fill(template: Any, values: dict[str, Any]) -> Any:
    """Replace '{name}' placeholders in a string or nested dict/list (for URL paths and request bodies)."""
    if isinstance(template, str):
        return _TEMPLATE_PART.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    return template
