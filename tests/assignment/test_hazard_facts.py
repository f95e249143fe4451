"""`hazard` and `signal` conditions: names checked on load (file:line:column, did you mean), matched against
the classifier's findings, and explained with the name that matched."""

from __future__ import annotations

import shutil

import pytest

from assignment import RuleEngine, RulesError, Workload
from assignment.vocabulary import SIGNALS
from classifiers.signals import SIGNALS as CLASSIFIER_SIGNALS
from tests.assignment.conftest import RULES_DIR, TUESDAY_10, make_facts


@pytest.fixture
def rules_copy(tmp_path):
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target)
    return target


def _with_rule(rules_dir, when: str):
    path = rules_dir / "assignment.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "rules:\n", f"rules:\n  - name: probe\n    when: {when}\n    then: {{tags: [probe]}}\n    continue: true\n", 1
    )
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "when, message, hint",
    [
        ("{hazard: gas-smel}", "unknown hazard `gas-smel`", "did you mean `gas-smell`?"),
        ("{signal: vulnerabel}", "unknown signal `vulnerabel`", "did you mean `vulnerable`?"),
        ("{hazard: {containz: gas}}", "unknown operator `containz`", None),
    ],
)
def test_misspelt_names_are_located_with_a_hint(rules_copy, when, message, hint):
    path = _with_rule(rules_copy, when)
    with pytest.raises(RulesError) as info:
        RuleEngine.load(rules_copy)
    [problem] = info.value.problems
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "name: probe" in text) + 1
    assert (problem.file, problem.line, problem.message) == (str(path), line, message)
    assert problem.column > 1 and (hint is None or problem.hint == hint)


@pytest.mark.parametrize(
    "when, facts, matched, reason",
    [
        ("{hazard: [gas-smell, fire-smoke]}", {"hazards": ["leak", "gas-smell"]}, True, "hazard=gas-smell matched"),
        ("{hazard: gas-smell}", {"hazards": ["leak"]}, False, "hazard is leak, not one of gas-smell"),
        ("{hazard: {present: true}}", {"hazards": []}, False, "hazard is none, not set"),
        ("{hazard: {not_in: [gas-smell]}}", {"hazards": ["leak"]}, True, "hazard has none of [gas-smell] matched"),
        ("{signal: vulnerable}", {"signals": ["vulnerable", "recurring"]}, True, "signal=vulnerable matched"),
    ],
)
def test_set_conditions_match_and_explain(rules_copy, when, facts, matched, reason):
    _with_rule(rules_copy, when)
    decision = RuleEngine.load(rules_copy).decide(make_facts(**facts), Workload(), TUESDAY_10, explain=True)
    hit = next(h for h in decision.hits if h.rule == "probe")
    assert (hit.matched, hit.reasons) == (matched, (reason,))


def test_rules_and_classifier_agree_on_signal_names():
    assert tuple(sorted(CLASSIFIER_SIGNALS)) == SIGNALS


def test_a_frame_name_is_a_known_hazard_for_rules_and_the_vocabulary(rules_copy):
    # frame hits (urgency.yaml `frames:`) are reported as hazards, so a rule may name one
    _with_rule(rules_copy, "{hazard: trapped-in-lift}")
    RuleEngine.load(rules_copy)
    from click.testing import CliRunner

    from intake.cli.main import cli

    result = CliRunner().invoke(cli, ["rules", "vocabulary", str(rules_copy)])
    assert result.exit_code == 0, result.output
    assert "trapped-in-lift" in result.output and "gas-smell" in result.output


def test_statuses_rules_may_name_are_the_ticket_lifecycle_s():
    from intake.core.vocabulary import STATUSES, TicketStatus

    assert "merged" in STATUSES and set(STATUSES) == {s.value for s in TicketStatus}
