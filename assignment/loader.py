"""Loading a rules directory: read the three YAML files with positions, validate them into typed objects,
check every cross-reference, compile conditions, and collect *all* problems with file:line:column and a hint.
"""

from __future__ import annotations

import hashlib
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from assignment.conditions import Always, Compiler, Condition, suggest
from assignment.errors import Problem
from assignment.schema import AssignmentFile, EscalationFile, SlaFile, ThenSpec
from assignment.source import Marks, read_yaml

FILES: dict[str, type[BaseModel]] = {"assignment.yaml": AssignmentFile, "sla.yaml": SlaFile, "escalation.yaml": EscalationFile}
REQUIRED = ("assignment.yaml",)
_HINTS = {
    "string_pattern_mismatch": "names are stable kebab-case: lower-case words joined by '-', e.g. plumbing-specialist",
    "missing": "add this field",
}


@dataclass
class CompiledRule:
    name: str
    description: str
    when: Condition
    then: ThenSpec
    continue_: bool
    line: int
    leaves: tuple = ()  # set when `when` is a flat list of field tests: the engine's fast path

    def __post_init__(self) -> None:
        from assignment.conditions import All, Leaf

        if isinstance(self.when, Leaf):
            self.leaves = (self.when,)
        elif isinstance(self.when, All) and all(isinstance(child, Leaf) for child in self.when.children):
            self.leaves = tuple(self.when.children)


@dataclass
class Loaded:
    """Validated files, compiled rules and the positions needed for later checks."""

    assignment: AssignmentFile
    sla: SlaFile
    escalation: EscalationFile
    rules: list[CompiledRule]
    sla_conditions: list[Condition]
    hashes: dict[str, str]
    marks: dict[str, Marks]


def _fields_at(model: Any, loc: tuple) -> list[str]:
    """Field names allowed at `loc` (a pydantic error location), for "did you mean" hints."""
    current: Any = model
    for part in loc:
        while typing.get_origin(current) in (typing.Union, types.UnionType, typing.Annotated):
            args = [a for a in typing.get_args(current) if a is not type(None)]
            current = args[0]
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items() if part in (n, f.alias)), None)
            if field is None:
                return []
            current = field.annotation
        elif typing.get_origin(current) in (list, dict):
            current = typing.get_args(current)[-1]
    while typing.get_origin(current) in (typing.Union, types.UnionType, typing.Annotated):
        current = next(a for a in typing.get_args(current) if a is not type(None))
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _problem_from(error: dict, model: type[BaseModel], marks: Marks) -> Problem:
    loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and ("[" in part or part.startswith("function-"))))
    message, kind = error["msg"].removeprefix("Value error, "), error["type"]
    is_key = bool(error["loc"]) and error["loc"][-1] == "[key]"  # a bad mapping key: point at the key itself
    hint = _HINTS.get(kind)
    if kind == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        message = f"unknown field `{loc[-1]}`"
        hint = suggest(loc[-1], allowed) or (f"allowed here: {', '.join(allowed)}" if allowed else None)
        return marks.problem(loc, message, hint, key=True)
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", error.get("ctx", {}).get("expected", ""))
        hint = suggest(error.get("input"), choices) or f"one of {', '.join(choices)}"
        message = f"unknown value `{error.get('input')}`"
    if kind == "value_error" and ": " in message:  # our validators write "what is wrong: what to write instead"
        message, hint = message.split(": ", 1)
    if kind == "missing":
        message = f"missing field `{loc[-1]}`"
        return marks.problem(loc[:-1], message, hint)
    return marks.problem(loc, message, hint, key=is_key)


def read_directory(rules_dir: Path) -> tuple[Loaded | None, list[Problem]]:
    """Validate and compile everything in `rules_dir`; returns (None, problems) when anything is wrong."""
    problems: list[Problem] = []
    parsed: dict[str, BaseModel] = {}
    marks: dict[str, Marks] = {}
    hashes: dict[str, str] = {}
    for name, model in FILES.items():
        path = rules_dir / name
        shown = str(path)
        if not path.is_file():
            if name in REQUIRED:
                problems.append(Problem(file=shown, message="file is missing", hint=f"every rules directory needs {name}"))
            parsed[name], marks[name] = model(), Marks(shown)
            continue
        hashes[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        data, file_marks, file_problems = read_yaml(path, shown)
        marks[name] = file_marks
        problems += file_problems
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(file_marks.problem((), "the file must be a mapping at the top level", "see rules/README.md"))
            continue
        try:
            parsed[name] = model.model_validate(data)
        except ValidationError as exc:
            problems += [_problem_from(error, model, file_marks) for error in exc.errors()]
    if len(parsed) < len(FILES):  # cross-references need all three files; fix these first
        return None, sorted(problems, key=lambda p: (p.file, p.line, p.column))
    assignment, sla, escalation = parsed["assignment.yaml"], parsed["sla.yaml"], parsed["escalation.yaml"]
    from assignment.checks import check_references  # the cross-reference checks live in their own module

    problems += check_references(assignment, sla, escalation, marks)
    rule_marks = marks["assignment.yaml"]
    known = taxonomy_values(rules_dir)
    compiler = Compiler(rule_marks, problems, known)
    rules = [CompiledRule(r.name, r.description, compiler.compile(r.when, ("rules", i, "when")), r.then, r.continue_,
                          rule_marks.at(("rules", i))[0])
             for i, r in enumerate(assignment.rules) if r.enabled]
    sla_compiler = Compiler(marks["sla.yaml"], problems, known)
    sla_conditions = [sla_compiler.compile(o.when, ("overrides", i, "when")) for i, o in enumerate(sla.overrides)]
    problems += _unreachable(assignment, rules, rule_marks)
    if problems:
        return None, sorted(problems, key=lambda p: (p.file, p.line, p.column))
    return Loaded(assignment, sla, escalation, rules, sla_conditions, hashes, marks), []


def taxonomy_values(rules_dir: Path) -> dict[str, tuple[str, ...]]:
    """Categories and subcategories from the classifiers' taxonomy.yaml beside our files, so a misspelt
    category in a rule is caught. Absent or unreadable: no check (the classifiers report their own file)."""
    try:
        categories = (yaml.safe_load((rules_dir / "taxonomy.yaml").read_text(encoding="utf-8")) or {})["categories"]
        subcategories = {sub for spec in categories.values() for sub in (spec or {}).get("subcategories", [])}
        return {"category": tuple(str(c).lower() for c in categories), "subcategory": tuple(sorted(map(str, subcategories)))}
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError):
        return {}


_CHANGING = frozenset({"priority", "team", "assignee"})  # rules can set these while evaluating


def _unreachable(assignment: AssignmentFile, rules: list[CompiledRule], marks: Marks) -> list[Problem]:
    """Rules that can never run: after a catch-all (no conditions, no `continue`), or needing everything an
    earlier deciding rule needs (and more), so that rule always takes the ticket first."""
    problems = []
    indexes = [i for i, r in enumerate(assignment.rules) if r.enabled]
    deciding: list[tuple[str, frozenset]] = []  # earlier rules without `continue`, with their flat tests
    catch_all = None
    for index, rule in zip(indexes, rules):
        tests = frozenset(leaf.key for leaf in rule.leaves)
        if catch_all is not None:
            problems.append(marks.problem(("rules", index), f"rule `{rule.name}` is unreachable: rule `{catch_all}` above matches every ticket",
                                          f"move it above `{catch_all}`, or give `{catch_all}` `continue: true`"))
            continue
        shadow = next((name for name, earlier in deciding if tests and earlier and earlier <= tests), None)
        if shadow is not None:
            problems.append(marks.problem(("rules", index), f"rule `{rule.name}` is unreachable: rule `{shadow}` above matches every ticket it would",
                                          f"move it above `{shadow}` (more specific rules first), or give `{shadow}` `continue: true`"))
        if type(rule.when) is Always and not rule.continue_:
            catch_all = rule.name
        elif not rule.continue_ and not any(field in _CHANGING for field, _ in tests):
            deciding.append((rule.name, tests))
    return problems
