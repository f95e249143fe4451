"""Hot reload: an invalid edit is rejected and logged with file:line, the last good rules stay in force, a
valid edit is picked up; `intake rules status` shows what is in force and the last error. Time is a fake clock."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from click.testing import CliRunner

from assignment import RulesError, RulesHolder, Workload
from intake.cli.main import cli
from tests.assignment.conftest import TUESDAY_10, make_facts


class FakeClock:
    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_invalid_edit_keeps_last_good_rules_then_valid_edit_is_loaded(rules_copy, tmp_path, caplog):
    clock = FakeClock(TUESDAY_10)
    status_file = tmp_path / "data" / "rules-status.json"
    holder = RulesHolder(rules_copy, clock=clock, check_every=timedelta(seconds=2), status_file=status_file)
    billing = make_facts(category="payment")
    good = holder.current()
    assert good.decide(billing, Workload(), TUESDAY_10).team == "billing"

    assignment = rules_copy / "assignment.yaml"
    _edit(assignment, "assign: {team: billing, pick: round_robin}", "assign: {team: biling, pick: round_robin}")
    assert holder.current() is good  # not checked again before `check_every` has passed
    clock.advance(2)
    with caplog.at_level(logging.ERROR, logger="assignment.holder"):
        assert holder.current() is good
    assert "rejected, the previous rules stay in force" in caplog.text and "unknown team `biling`" in caplog.text
    line = next(n for n, text in enumerate(assignment.read_text().splitlines(), 1) if "team: biling" in text)
    problem = holder.status.last_error[0]
    assert (problem.file, problem.line, problem.hint) == (str(assignment), line, "did you mean `billing`?")
    assert holder.status.loaded_at == TUESDAY_10 and holder.status.last_error_at == clock.now

    result = CliRunner().invoke(cli, ["rules", "status", str(rules_copy), "--status-file", str(status_file)])
    assert result.exit_code == 1
    assert "last change REJECTED" in result.output and f"assignment.yaml:{line}:" in result.output
    assert "assignment.yaml  sha256" in result.output and "(changed on disk since)" in result.output

    caplog.clear()
    clock.advance(5)
    with caplog.at_level(logging.ERROR, logger="assignment.holder"):
        assert holder.refresh() is False  # the same broken content is not reloaded or logged again
    assert caplog.text == ""

    _edit(assignment, "assign: {team: biling, pick: round_robin}", "assign: {team: maintenance, pick: round_robin}")
    clock.advance(2)
    fresh = holder.current()
    assert fresh is not good
    assert fresh.decide(billing, Workload(), TUESDAY_10).team == "maintenance"
    assert holder.status.last_error == [] and holder.status.loaded_at == clock.now

    result = CliRunner().invoke(cli, ["rules", "status", str(rules_copy), "--status-file", str(status_file)])
    assert result.exit_code == 0, result.output
    assert "last error: none" in result.output and "changed on disk" not in result.output


def test_unchanged_files_are_not_reloaded(rules_copy):
    clock = FakeClock(TUESDAY_10)
    holder = RulesHolder(rules_copy, clock=clock)
    engine = holder.engine
    (rules_copy / "sla.yaml").touch()
    clock.advance(10)
    assert holder.refresh() is False and holder.current() is engine


def test_yaml_syntax_error_in_a_live_edit(rules_copy):
    holder = RulesHolder(rules_copy, clock=FakeClock(TUESDAY_10))
    (rules_copy / "escalation.yaml").write_text("roles: {supervisor: [unclosed\n", encoding="utf-8")
    assert holder.refresh() is False
    assert holder.status.last_error[0].message.startswith("YAML error")
    assert holder.status.last_error[0].line == 2


def test_first_load_must_succeed(tmp_path):
    with pytest.raises(RulesError):
        RulesHolder(tmp_path)


def test_status_without_a_running_service(rules_copy, tmp_path):
    result = CliRunner().invoke(cli, ["rules", "status", str(rules_copy), "--status-file", str(tmp_path / "none.json")])
    assert result.exit_code == 0
    assert "no running service has reported" in result.output


def test_an_edit_to_the_classifier_names_the_rules_use_re_checks_the_rules(rules_copy):
    holder = RulesHolder(rules_copy, clock=FakeClock(TUESDAY_10))
    assert "gas-smell" in (rules_copy / "assignment.yaml").read_text(encoding="utf-8")
    _edit(rules_copy / "urgency.yaml", "  gas-smell:", "  gas-odour:")  # the hazard the rules name is renamed
    assert holder.refresh() is False
    assert {p.message for p in holder.status.last_error} == {"unknown hazard `gas-smell`"}
