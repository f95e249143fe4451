"""`intake rules check` checks every YAML file of the folder in one pass: the assignment rules and the
classifier's files (taxonomy.yaml …), each mistake as file:line:column, with a count and exit code 1."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from intake.cli.main import cli
from tests.assignment.conftest import RULES_DIR


@pytest.fixture
def rules_copy(tmp_path):
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target)
    return target


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _check(rules_dir):
    result = CliRunner().invoke(cli, ["rules", "check", str(rules_dir)])
    return result.exit_code, result.output.splitlines()


def test_four_mistakes_in_four_files_are_four_problems(rules_copy):
    _edit(rules_copy / "assignment.yaml", "    when: {subcategory: plumbing}\n", "    when: {subcategroy: plumbing}\n")
    _edit(rules_copy / "sla.yaml", "default_calendar: office", "default_calendar: ofice")
    _edit(rules_copy / "escalation.yaml", "  on-call: olu-oncall", "  on-call: olu-oncal")
    _edit(rules_copy / "taxonomy.yaml", "fallback: other", "fallback: [other")
    code, lines = _check(rules_copy)
    assert code == 1
    assert lines[-1].startswith("4 problem(s)"), lines
    located = {line.split(":")[0].rsplit("/", 1)[-1] for line in lines[:-1]}
    assert located == {"assignment.yaml", "sla.yaml", "escalation.yaml", "taxonomy.yaml"}
    assert all(line.split(":")[1].isdigit() and line.split(":")[2].isdigit() for line in lines[:-1])


@pytest.mark.parametrize(
    "name, old, new, expected",
    [
        ("taxonomy.yaml", "fallback: other", "fallback: [other", "YAML error"),
        ("urgency.yaml", "state_window: 6", "state_window: many", "valid integer"),
        ("units.yaml", "not_unit_after:", "unit_wrods: [apt]\nnot_unit_after:", "unknown field `unit_wrods`"),
        (
            "billing.yaml",
            "billable_requires_approval:",
            "billable_requires_approval: true\nbillable_requires_approval:",
            "duplicate key",
        ),
    ],
)
def test_a_broken_classifier_file_fails_the_check(rules_copy, name, old, new, expected):
    _edit(rules_copy / name, old, new)
    code, lines = _check(rules_copy)
    assert code == 1 and lines[-1].startswith("1 problem(s)"), lines
    assert name in lines[0] and expected in lines[0]


def test_a_misspelt_file_name_is_reported_with_the_name_meant(rules_copy):
    (rules_copy / "escalation.yaml").rename(rules_copy / "escalaton.yaml")
    code, lines = _check(rules_copy)
    assert code == 1
    assert any(
        "escalaton.yaml:1:1: unknown rules file" in line and "did you mean `escalation.yaml`?" in line for line in lines
    ), lines


def test_problems_of_several_rules_in_a_file_that_failed_validation_are_all_reported(rules_copy):
    _edit(rules_copy / "assignment.yaml", "    when: {subcategory: plumbing}\n", "    when: {subcategroy: plumbing}\n")
    _edit(rules_copy / "assignment.yaml", "    pick: round_robin\n", "    pick: round_robbin\n")  # fails validation
    code, lines = _check(rules_copy)
    assert code == 1 and lines[-1].startswith("2 problem(s)"), lines
