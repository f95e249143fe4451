"""Every YAML file of `rules/` checked in one pass: the assignment rules (assignment, sla, escalation) and the
classifier's vocabulary (taxonomy, urgency, units, billing), all through the same YAML reader.

Used by `intake rules check` / `status` and by the start-up gate of one-off commands (`require_valid_rules`).
A `*.yaml` file no part of intake reads is an error here: it is almost always a misspelt name, and the rules
ops wrote in it would silently not be in force. (The running service ignores such a file.)
"""

from __future__ import annotations

from pathlib import Path

from assignment.loader import FILES as RULE_FILES
from assignment.loader import read_directory
from intake.core.errors import OperatorError
from intake.core.problems import Problem, suggest


def known_files() -> list[str]:
    """The file names intake reads from a rules folder."""
    # lazy: classifiers loads spaCy, which processes that only enqueue (web, beat) never need
    from classifiers.ruleset import FILES as CLASSIFIER_FILES

    return [*RULE_FILES, *CLASSIFIER_FILES]


def _load_problems(rules_dir: Path) -> list[Problem]:
    """Problems of the files a process loads: the assignment rules' and the classifier's."""
    # lazy: classifiers loads spaCy, which processes that only enqueue (web, beat) never need
    from classifiers.ruleset import read_ruleset

    return list(read_directory(rules_dir)[1]) + list(read_ruleset(rules_dir)[1])


def check_rules_folder(rules_dir: Path) -> list[Problem]:
    """Every problem of every YAML file in `rules_dir`, sorted by file and position (empty: all good)."""
    rules_dir = Path(rules_dir)
    problems = _load_problems(rules_dir)
    known = known_files()
    for path in sorted(rules_dir.glob("*.y*ml")):
        if path.name not in known:
            hint = suggest(path.name, known) or f"the files read here are {', '.join(known)}"
            problems.append(
                Problem(
                    file=str(path),
                    line=1,
                    column=1,
                    message="unknown rules file: nothing reads it, its rules are not in force",
                    hint=hint,
                )
            )
    return sorted(problems, key=lambda p: (p.file, p.line, p.column))


class RulesInvalid(OperatorError):
    """The rules folder has problems and there is no last good version to fall back on."""

    def __init__(self, rules_dir: Path, problems: list[Problem]):
        self.problems = problems
        lines = [str(p) for p in problems]
        super().__init__(
            f"rules in {rules_dir} are invalid ({len(problems)} problem(s)); nothing was started:\n" + "\n".join(lines)
        )


def require_valid_rules(rules_dir: Path) -> None:
    """Raise RulesInvalid when the rules a pipeline would load are broken: a one-off command has no last good
    version, so it must refuse to start rather than store mail it cannot decide on. A file nothing reads is
    no reason to refuse (the service ignores it; `check` reports it)."""
    problems = _load_problems(Path(rules_dir))
    if problems:
        raise RulesInvalid(Path(rules_dir), sorted(problems, key=lambda p: (p.file, p.line, p.column)))
