"""Loading a rules directory: read the three YAML files with positions, validate them into typed objects,
check every cross-reference, compile conditions, and collect *all* problems with file:line:column and a hint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from assignment.checks import check_references
from assignment.conditions import All, Always, Compiler, Condition, Leaf
from assignment.errors import Problem
from assignment.schema import AssignmentFile, EscalationFile, SlaFile, ThenSpec
from intake.core.marked_yaml import Marks, read_yaml
from intake.core.problems import validate

FILES: dict[str, type[BaseModel]] = {
    "assignment.yaml": AssignmentFile,
    "sla.yaml": SlaFile,
    "escalation.yaml": EscalationFile,
}
REQUIRED = ("assignment.yaml",)
# The classifiers' files whose names `known_values` checks rules against: an edit there re-checks the rules.
READ_BESIDE = ("taxonomy.yaml", "urgency.yaml")


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


def read_directory(rules_dir: Path) -> tuple[Loaded | None, list[Problem]]:
    """Validate and compile everything in `rules_dir`; returns (None, problems) when anything is wrong."""
    problems: list[Problem] = []
    parsed: dict[str, BaseModel] = {}
    marks: dict[str, Marks] = {}
    hashes: dict[str, str] = {}
    raws: dict[str, object] = {}
    for name, model in FILES.items():
        path = rules_dir / name
        shown = str(path)
        if not path.is_file():
            if name in REQUIRED:
                problems.append(
                    Problem(file=shown, message="file is missing", hint=f"every rules directory needs {name}")
                )
            parsed[name], marks[name] = model(), Marks(shown)
            continue
        hashes[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        data, file_marks, file_problems = read_yaml(path, shown)
        marks[name] = file_marks
        problems += file_problems
        if data is None:
            continue
        raws[name] = data
        valid, invalid = validate(data, model, file_marks)
        problems += invalid
        if valid is not None:
            parsed[name] = valid
    known = known_values(rules_dir)
    if len(parsed) < len(FILES):  # cross-references need all three files; still check every condition we can
        for name, key in (("assignment.yaml", "rules"), ("sla.yaml", "overrides")):
            _compile_raw(raws.get(name), key, Compiler(marks[name], problems, known))
        return None, sorted(problems, key=lambda p: (p.file, p.line, p.column))
    assignment, sla, escalation = parsed["assignment.yaml"], parsed["sla.yaml"], parsed["escalation.yaml"]
    problems += check_references(assignment, sla, escalation, marks)
    rule_marks = marks["assignment.yaml"]
    compiler = Compiler(rule_marks, problems, known)
    rules = [
        CompiledRule(
            r.name,
            r.description,
            compiler.compile(r.when, ("rules", i, "when")),
            r.then,
            r.continue_,
            rule_marks.at(("rules", i))[0],
        )
        for i, r in enumerate(assignment.rules)
        if r.enabled
    ]
    sla_compiler = Compiler(marks["sla.yaml"], problems, known)
    sla_conditions = [sla_compiler.compile(o.when, ("overrides", i, "when")) for i, o in enumerate(sla.overrides)]
    problems += _unreachable(assignment, rules, rule_marks)
    if problems:
        return None, sorted(problems, key=lambda p: (p.file, p.line, p.column))
    return Loaded(assignment, sla, escalation, rules, sla_conditions, hashes, marks), []


def _compile_raw(data, key: str, compiler: Compiler) -> None:
    """Compile the `when:` of each entry under `key` from the file's raw data, only to report its problems:
    a file that failed validation elsewhere still gets its conditions checked (every mistake in one pass)."""
    entries = data.get(key) if isinstance(data, dict) else None
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if isinstance(entry, dict) and entry.get("enabled", True) is not False:
            compiler.compile(entry.get("when"), (key, i, "when"))


def known_values(rules_dir: Path) -> dict[str, tuple[str, ...]]:
    """Names the classifiers' files beside ours define, so a misspelt value in a rule is caught: categories and
    subcategories (taxonomy.yaml) and hazards (urgency.yaml's `hazards:` and `frames:`, both reported as hazards).
    A file that is absent or broken gives no names
    (no check here); `intake rules check` reports that file's own problems."""
    known: dict[str, tuple[str, ...]] = {}
    taxonomy = read_yaml(rules_dir / "taxonomy.yaml")[0]
    categories = taxonomy.get("categories") if isinstance(taxonomy, dict) else None
    if isinstance(categories, dict) and categories:
        subcategories = {
            str(sub)
            for spec in categories.values()
            if isinstance(spec, dict)
            for sub in (spec.get("subcategories") or [])
            if not isinstance(sub, (list, dict))
        }
        known["category"] = tuple(str(c).lower() for c in categories)
        known["subcategory"] = tuple(sorted(subcategories))
    urgency = read_yaml(rules_dir / "urgency.yaml")[0]
    names = {
        str(name).lower()
        for key in ("hazards", "frames")
        if isinstance(urgency, dict) and isinstance(urgency.get(key), dict)
        for name in urgency[key]
    }
    if names:
        known["hazard"] = tuple(sorted(names))
    return known


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
            problems.append(
                marks.problem(
                    ("rules", index),
                    f"rule `{rule.name}` is unreachable: rule `{catch_all}` above matches every ticket",
                    f"move it above `{catch_all}`, or give `{catch_all}` `continue: true`",
                )
            )
            continue
        shadow = next((name for name, earlier in deciding if tests and earlier and earlier <= tests), None)
        if shadow is not None:
            problems.append(
                marks.problem(
                    ("rules", index),
                    f"rule `{rule.name}` is unreachable: rule `{shadow}` above matches every ticket it would",
                    f"move it above `{shadow}` (more specific rules first), or give `{shadow}` `continue: true`",
                )
            )
        if type(rule.when) is Always and not rule.continue_:
            catch_all = rule.name
        elif not rule.continue_ and not any(field in _CHANGING for field, _ in tests):
            deciding.append((rule.name, tests))
    return problems
