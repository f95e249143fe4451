"""The one YAML reader of `rules/`: plain data plus the line and column of every value, and every mistake.

PyYAML's `compose` gives nodes with marks; we turn them into plain data plus a `Marks` map from a path
(`("rules", 3, "when", "urgency")`) to line/column, so any later check can point at the exact spot.

Differences from `yaml.safe_load`, on purpose:
- Booleans are YAML 1.2's: only `true` / `false` (any case). `yes`, `no`, `on`, `off`, `y`, `n` stay words, so
  `country: NO` is Norway and a term list may hold `no` and `off`; a field that wants true/false still
  accepts them (validation turns `yes` into true), and a rule condition on a flag asks for true/false.
- A key given twice in one mapping is a mistake (both lines are named), not a silent overwrite.
- Nothing raises: a syntax error or an unreadable file becomes a located `Problem`, and reading a folder
  collects the problems of every file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from intake.core.problems import Problem

PathKey = tuple[Any, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader whose booleans follow YAML 1.2 (true/false only)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _Loader.yaml_implicit_resolvers.setdefault(_first, []).insert(
        0, ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"))
    )


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
        """A Problem located at `path` (at its key when `key`)."""
        line, column = self.at(path, key=key)
        return Problem(file=self.file, line=line, column=column, message=message, hint=hint)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _to_data(node: yaml.Node, path: PathKey, marks: Marks, problems: list[Problem], loader: _Loader) -> Any:
    marks.values[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _to_data(key_node, path + ("<key>",), marks, problems, loader)
            if isinstance(key, (list, dict)):  # `? [a, b]: …` - not a name anyone means in a rules file
                key = str(key)
            if key in result:
                first_line = marks.keys[path + (key,)][0]
                line, column = _mark(key_node)
                problems.append(
                    Problem(
                        file=marks.file,
                        line=line,
                        column=column,
                        message=f"duplicate key `{key}` (first on line {first_line})",
                        hint="each key may appear once here; merge the two entries",
                    )
                )
                _to_data(value_node, path + ("<duplicate>",), marks, problems, loader)  # still check inside it
                continue  # the first one stays, and its marks with it
            marks.keys[path + (key,)] = _mark(key_node)
            result[key] = _to_data(value_node, path + (key,), marks, problems, loader)
        marks.values.pop(path + ("<key>",), None)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_data(item, path + (index,), marks, problems, loader) for index, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)  # a scalar: YAML's own typing (ints, dates…), 1.2 booleans


def read_yaml(path: Path, display_name: str | None = None) -> tuple[Any, Marks, list[Problem]]:
    """Parse one file into plain data, marks and its problems. Data is None when the file cannot be parsed."""
    shown = display_name or str(path)
    marks = Marks(shown)
    problems: list[Problem] = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(Problem(file=shown, message="file is missing"))
        return None, marks, problems
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(file=shown, message=f"cannot read: {exc}"))
        return None, marks, problems
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = {} if node is None else _to_data(node, (), marks, problems, _Loader(""))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problems.append(
            Problem(
                file=shown,
                line=line,
                column=column,
                message=f"YAML error: {exc.problem or exc}",
                hint="check indentation, colons and quotes around values with ':' or '#'",
            )
        )
        return None, marks, problems
    except yaml.YAMLError as exc:
        problems.append(Problem(file=shown, message=f"YAML error: {exc}"))
        return None, marks, problems
    except RecursionError:  # an alias that contains itself (`a: &x [*x]`) nests without end
        problems.append(
            Problem(
                file=shown,
                message="YAML error: an alias refers to itself, or nesting is too deep",
                hint="rules files need no anchors and aliases (&name, *name)",
            )
        )
        return None, marks, problems
    return data, marks, problems
