"""`intake rules check`: every class of mistake is reported with file:line:column and a hint, all at once,
and the exit code is non-zero. Run through the real click CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from assignment import RuleEngine, RulesError
from intake.cli.main import cli
from tests.assignment.conftest import write

HEAD = """\
teams:
  plumbing: {members: [pat]}
people:
  pat: {skills: [plumbing], hours: {mon-fri: "08:00-17:00"}}
rules:
"""  # the rules below start on line 6

BROKEN = [
    # (case, rules block, expected location and message fragment, expected hint fragment)
    (
        "unknown field",
        """\
  - name: plumbing-specialist
    when: {subcategory: plumbing}
    then:
      assign: {team: plumbing}
      prioriti: urgent
""",
        "assignment.yaml:10:7: unknown field `prioriti`",
        "did you mean `priority`?",
    ),
    (
        "unknown condition field",
        """\
  - name: plumbing-specialist
    when: {subcategroy: plumbing}
    then: {tags: [x]}
""",
        "assignment.yaml:7:12: unknown field `subcategroy`",
        "did you mean `subcategory`?",
    ),
    (
        "unknown team",
        """\
  - name: plumbing-specialist
    when: {subcategory: plumbing}
    then:
      assign: {team: plumbers}
""",
        "assignment.yaml:9:22: unknown team `plumbers`",
        "did you mean `plumbing`?",
    ),
    (
        "unknown operator",
        """\
  - name: gas
    when:
      text: {containz: gas}
    then: {tags: [x]}
""",
        "assignment.yaml:8:14: unknown operator `containz`",
        "did you mean `contains`?",
    ),
    (
        "operator for the wrong kind of field",
        """\
  - name: gas
    when:
      confidence: {contains: 0.5}
    then: {tags: [x]}
""",
        "assignment.yaml:8:20: operator not valid for a number field: `contains`",
        "operators for `confidence`",
    ),
    (
        "bad time in a condition",
        """\
  - name: night
    when:
      time_of_day: {between: "25:00-06:00"}
    then: {tags: [x]}
""",
        "assignment.yaml:8:30: bad time '25:00'",
        "HH:MM",
    ),
    (
        "unknown value",
        """\
  - name: urgent
    when: {urgency: urgnt}
    then: {tags: [x]}
""",
        "assignment.yaml:7:21: unknown urgency `urgnt`",
        "did you mean `urgent`?",
    ),
    (
        "duplicate rule name",
        """\
  - name: plumbing
    when: {subcategory: plumbing}
    then: {tags: [x]}
    continue: true
  - name: plumbing
    when: {subcategory: drains}
    then: {tags: [y]}
""",
        "assignment.yaml:10:11: duplicate rule name `plumbing`",
        "the first `plumbing` is on line 6",
    ),
    (
        "unreachable after catch-all",
        """\
  - name: everything
    when: always
    then: {assign: {team: plumbing}}
  - name: too-late
    when: {urgency: urgent}
    then: {priority: urgent}
""",
        "assignment.yaml:9:5: rule `too-late` is unreachable: rule `everything` above matches every ticket",
        "give `everything` `continue: true`",
    ),
    (
        "shadowed by a more general rule above",
        """\
  - name: plumbing
    when: {subcategory: plumbing}
    then: {assign: {team: plumbing}}
  - name: urgent-plumbing
    when: {urgency: urgent, subcategory: plumbing}
    then: {priority: urgent}
""",
        "assignment.yaml:9:5: rule `urgent-plumbing` is unreachable: rule `plumbing` above matches every ticket it would",
        "more specific rules first",
    ),
    (
        "rule name not kebab-case",
        """\
  - name: Plumbing Rule
    then: {tags: [x]}
""",
        "assignment.yaml:6:11: String should match pattern",
        "kebab-case",
    ),
    (
        "YAML error",
        """\
  - name: broken
    when: {subcategory: plumbing
    then: {tags: [x]}
""",
        "assignment.yaml:8:9: YAML error",
        "indentation",
    ),
]


@pytest.mark.parametrize(("case", "rules", "where", "hint"), BROKEN, ids=[c[0] for c in BROKEN])
def test_check_reports_location_and_hint(tmp_path: Path, case, rules, where, hint):
    write(tmp_path, "assignment.yaml", HEAD + rules)
    result = CliRunner().invoke(cli, ["rules", "check", str(tmp_path)])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if where in line]
    assert lines, result.output
    assert hint in lines[0]
    with pytest.raises(RulesError) as caught:  # the engine refuses the same directory, with the same problems
        RuleEngine.load(tmp_path)
    assert any(where.split(": ", 1)[1] in str(p) for p in caught.value.problems)


def test_bad_working_hours_and_unknown_time_zone(tmp_path: Path):
    write(
        tmp_path,
        "assignment.yaml",
        """\
        people:
          pat: {hours: {mon-fri: "8am-5pm"}}
        rules: []
    """,
    )
    write(
        tmp_path,
        "sla.yaml",
        """\
        calendars:
          office: {timezone: America/Nowhere, hours: {mon-fri: "08:00-18:00"}}
        default_calendar: ofice
    """,
    )
    result = CliRunner().invoke(cli, ["rules", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert "assignment.yaml:2:16: bad time '8am'" in result.output
    assert "sla.yaml:2:22: unknown time zone 'America/Nowhere' (hint: use an IANA name" in result.output
    assert "(hint: use 24-hour HH:MM" in result.output


def test_every_problem_is_reported_at_once(tmp_path: Path):
    import shutil

    from tests.assignment.conftest import RULES_DIR

    for name in ("taxonomy.yaml", "urgency.yaml", "units.yaml", "billing.yaml"):  # `check` reads them too
        shutil.copy(RULES_DIR / name, tmp_path / name)
    write(
        tmp_path,
        "assignment.yaml",
        HEAD
        + """\
  - name: a
    when: {urgency: {iss: urgent}}
    then: {assign: {team: nope}}
""",
    )
    write(tmp_path, "escalation.yaml", "roles: {supervisor: nobody}\nlevels: {L1: {at: warn, notify: [supervisr]}}\n")
    result = CliRunner().invoke(cli, ["rules", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert "assignment.yaml:7:22: unknown operator `iss`" in result.output and "did you mean `is`?" in result.output
    assert "assignment.yaml:8:27: unknown team `nope`" in result.output
    assert "escalation.yaml:1:21: unknown person or team `nobody` (hint: known: pat, plumbing)" in result.output
    assert "escalation.yaml:2:34: unknown person, team, role or keyword `supervisr`" in result.output
    assert "did you mean `supervisor`?" in result.output
    assert "4 problem(s)" in result.output


def test_missing_assignment_file(tmp_path: Path):
    result = CliRunner().invoke(cli, ["rules", "check", str(tmp_path)])
    assert result.exit_code == 1 and "assignment.yaml: file is missing" in result.output


def test_shipped_rules_pass_check():
    from tests.assignment.conftest import RULES_DIR

    result = CliRunner().invoke(cli, ["rules", "check", str(RULES_DIR)])
    assert result.exit_code == 0, result.output
    assert f"OK — {len(RuleEngine.load(RULES_DIR).rules)} rules" in result.output


def test_categories_are_checked_against_the_classifiers_taxonomy(rules_copy: Path):
    assert (rules_copy / "taxonomy.yaml").is_file()
    assignment = rules_copy / "assignment.yaml"
    text = assignment.read_text()
    assignment.write_text(text.replace("when: {category: payment}", "when: {category: paymnet}"))
    line = next(n for n, row in enumerate(assignment.read_text().splitlines(), 1) if "paymnet" in row)
    result = CliRunner().invoke(cli, ["rules", "check", str(rules_copy)])
    assert result.exit_code == 1
    assert f"assignment.yaml:{line}:22: unknown category `paymnet` (hint: did you mean `payment`?)" in result.output


def test_rules_after_a_priority_change_are_not_reported_shadowed(tmp_path: Path):
    write(
        tmp_path,
        "assignment.yaml",
        HEAD
        + """\
  - name: route-urgent
    when: {priority: urgent}
    then: {assign: {team: plumbing}}
  - name: flag-flood
    when: {text: {contains: flood}}
    then: {priority: urgent}
    continue: true
  - name: route-urgent-flood
    when: {priority: urgent, text: {contains: flood}}
    then: {tags: [flood]}
""",
    )
    assert len(RuleEngine.load(tmp_path).rules) == 3  # route-urgent-flood can match: flag-flood sets the priority later
