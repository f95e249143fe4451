"""Read a rules YAML file keeping the line of every key, so validation errors can say `file:line`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from classifiers.errors import ClassifierConfigError


_BOOL_TAG = "tag:yaml.org,2002:bool"
_YAML11_WORDS = {"yes", "no", "on", "off", "y", "n"}


def _construct(node: yaml.Node, path: tuple, lines: dict[tuple, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node))
            out[key] = _construct(value_node, path + (key,), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, path + (index,), lines) for index, item in enumerate(node.value)]
    if node.tag == _BOOL_TAG and node.value.lower() in _YAML11_WORDS:
        return node.value  # YAML 1.2 reading: "no", "off" are words (negation terms), not booleans
    return yaml.safe_load(yaml.serialize(node))


def load_rules_file(path: Path, model: type[BaseModel]) -> BaseModel:
    """Parse and validate one rules file; any problem raises ClassifierConfigError naming file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ClassifierConfigError(f"{path}:1: cannot read: {exc.strerror or exc}") from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ClassifierConfigError(f"{path}:{line}: invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    lines: dict[tuple, int] = {}
    data = _construct(node, (), lines) if node is not None else {}
    try:
        return model.model_validate(data or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        while loc and loc not in lines:  # extra/missing keys: point at the nearest enclosing node
            loc = loc[:-1]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise ClassifierConfigError(f"{path}:{lines.get(loc, 1)}: {where}: {first['msg']}") from exc
