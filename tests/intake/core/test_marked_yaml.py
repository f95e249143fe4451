"""The one YAML reader of rules/: YAML 1.2 booleans, duplicate keys as mistakes with both lines, every
problem located as file:line:column and none raised."""

from __future__ import annotations

import subprocess
import sys

from intake.core.marked_yaml import read_yaml


def _read(tmp_path, text):
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    return read_yaml(path)


def test_yes_no_on_off_stay_words_and_only_true_false_are_booleans(tmp_path):
    data, _, problems = _read(
        tmp_path, "country: NO\nword: on\nterms: [no, off, yes, y, n]\nflag: true\nother: False\n"
    )
    assert problems == []
    assert data == {
        "country": "NO",
        "word": "on",
        "terms": ["no", "off", "yes", "y", "n"],
        "flag": True,
        "other": False,
    }


def test_duplicate_key_names_both_lines_and_the_first_value_stays(tmp_path):
    data, _, problems = _read(tmp_path, "teams:\n  plumbing: {members: [pat]}\n  plumbing: {members: [quinn]}\n")
    assert [str(p).split(" (hint")[0] for p in problems] == [
        f"{tmp_path / 'x.yaml'}:3:3: duplicate key `plumbing` (first on line 2)"
    ]
    assert data == {"teams": {"plumbing": {"members": ["pat"]}}}


def test_every_duplicate_of_a_file_is_reported(tmp_path):
    _, _, problems = _read(tmp_path, "a: 1\na: 2\nb:\n  c: 1\n  c: 2\n")
    assert [(p.line, p.column) for p in problems] == [(2, 1), (5, 3)]


def test_syntax_error_is_a_located_problem_not_an_exception(tmp_path):
    data, _, problems = _read(tmp_path, "order: [guarantee, sla\nbroken: : :\n")
    assert data is None and len(problems) == 1
    assert problems[0].line >= 1 and problems[0].column >= 1 and "YAML error" in problems[0].message


def test_missing_file_is_a_problem(tmp_path):
    data, _, problems = read_yaml(tmp_path / "absent.yaml")
    assert data is None and problems[0].message == "file is missing"


def test_importing_the_reader_imports_nothing_else_of_intake():
    code = (
        "import sys, intake.core.marked_yaml; print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('intake', 'assignment', 'classifiers', 'store')))"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert shown.strip() == "['intake', 'intake.core', 'intake.core.marked_yaml', 'intake.core.problems']"


def test_an_alias_that_contains_itself_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "urgency.yaml"
    path.write_text("hazards: {}\nzz: &x [*x]\n", encoding="utf-8")
    data, _, problems = read_yaml(path)
    assert data is None and "alias refers to itself" in problems[0].message
