"""Reading a rules YAML file while remembering where every value came from.

PyYAML's `compose` gives nodes with marks; we turn them into plain data plus a `Marks` map from a path
(`("rules", 3, "when", "urgency")`) to line/column, so any later check can point at the exact spot.
Duplicate keys, which `safe_load` silently accepts, are reported as problems.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from assignment.errors import Problem

PathKey = tuple[Any, ...]


class Marks:
    """Line/column (1-based) of each value and each mapping key of one file."""

    def __init__(self, file: str):
        self.file = file
        self.values: dict[PathKey, tuple[int, int]] = {}
        self.keys: dict[PathKey, tuple[int, int]] = {}

    def at(self, path: PathKey, *, key: bool = False) -> tuple[int, int]:
        """The position of `path` (its key when `key`), else of the nearest enclosing element that has one."""
        path = tuple(path)
        while path:
            table = self.keys if key and path in self.keys else self.values
            if path in table:
                return table[path]
            path, key = path[:-1], False
        return self.values.get((), (1, 1))

    def problem(self, path: PathKey, message: str, hint: str | None = None, *, key: bool = False) -> Problem:
        line, column = self.at(path, key=key)
        return Problem(file=self.file, line=line, column=column, message=message, hint=hint)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _to_data(node: yaml.Node, path: PathKey, marks: Marks, problems: list[Problem], loader: yaml.SafeLoader) -> Any:
    marks.values[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _to_data(key_node, path + ("<key>",), marks, problems, loader)
            if key in result:
                line, column = _mark(key_node)
                problems.append(Problem(file=marks.file, line=line, column=column,
                                        message=f"duplicate key `{key}`", hint="each key may appear once here; merge the two entries"))
            marks.keys[path + (key,)] = _mark(key_node)
            result[key] = _to_data(value_node, path + (key,), marks, problems, loader)
        marks.values.pop(path + ("<key>",), None)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_data(item, path + (index,), marks, problems, loader) for index, item in enumerate(node.value)]
    # A scalar: let the safe constructor apply YAML's own typing (ints, bools, dates…).
    return loader.construct_object(node, deep=True)


def read_yaml(path: Path, display_name: str) -> tuple[Any, Marks, list[Problem]]:
    """Parse one file into plain data and marks; a syntax error becomes a located problem, never an exception."""
    marks = Marks(display_name)
    problems: list[Problem] = []
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        data = {} if node is None else _to_data(node, (), marks, problems, yaml.SafeLoader(""))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problems.append(Problem(file=display_name, line=line, column=column,
                                message=f"YAML error: {exc.problem or exc}",
                                hint="check indentation, colons and quotes around values with ':' or '#'"))
        return None, marks, problems
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(Problem(file=display_name, message=f"cannot read: {exc}"))
        return None, marks, problems
    return data, marks, problems
