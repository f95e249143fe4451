"""Fixtures for the rules engine: the shipped rules/ directory, small rule directories written per test,
and a ticket-facts factory. Times are fixed datetimes; nothing reads the wall clock."""

from __future__ import annotations

import shutil
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assignment import RuleEngine, TicketFacts

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
NEW_YORK = ZoneInfo("America/New_York")
# Tuesday 2026-11-24 10:00 in New York: the office is open.
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=NEW_YORK)
# Saturday 2026-11-28 23:00 in New York: the office is closed.
SATURDAY_NIGHT = datetime(2026, 11, 28, 23, 0, tzinfo=NEW_YORK)

MINIMAL_PEOPLE = """
teams:
  plumbing: {members: [pat, quinn], pick: least_loaded, lead: sam}
  maintenance: {members: [gus, maya], pick: round_robin}
people:
  pat: {skills: [plumbing], capacity: 4}
  quinn: {skills: [plumbing], capacity: 4, properties: [HBR]}
  gus: {skills: [general_repair]}
  maya: {skills: [general_repair, plumbing]}
  sam: {}
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped rules, free to edit."""
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target, ignore=shutil.ignore_patterns("*.md"))
    return target


@pytest.fixture(scope="session")
def engine() -> RuleEngine:
    return RuleEngine.load(RULES_DIR)


def make_facts(**fields) -> TicketFacts:
    fields.setdefault("created_at", TUESDAY_10)
    fields.setdefault("text", "")
    return TicketFacts(**fields)


def engine_with_rules(
    tmp_path: Path,
    rules_yaml: str,
    *,
    people: str = MINIMAL_PEOPLE,
    sla: str | None = None,
    escalation: str | None = None,
) -> RuleEngine:
    """An engine from a people block plus the given `rules:` block (already indented as a YAML list)."""
    directory = tmp_path / "custom"
    directory.mkdir(exist_ok=True)
    write(
        directory,
        "assignment.yaml",
        textwrap.dedent(people) + "rules:\n" + textwrap.indent(textwrap.dedent(rules_yaml), "  "),
    )
    if sla is not None:
        write(directory, "sla.yaml", sla)
    if escalation is not None:
        write(directory, "escalation.yaml", escalation)
    return RuleEngine.load(directory)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
