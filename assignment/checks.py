"""Cross-reference checks between the three rules files: every team, person, role, skill and calendar a
rule names must exist, and names must be unique. Each problem points at the offending value.
"""

from __future__ import annotations

from assignment.conditions import suggest
from assignment.errors import Problem
from assignment.escalation import KEYWORDS
from assignment.schema import AssignmentFile, EscalationFile, SlaFile
from intake.core.marked_yaml import Marks


def _unknown(marks: Marks, path: tuple, what: str, name: str, known: list[str]) -> Problem:
    hint = suggest(name, known) or (f"known: {', '.join(sorted(known))}" if known else "none are defined")
    return marks.problem(path, f"unknown {what} `{name}`", hint)


def _unique(names: list[str], paths: list[tuple], marks: Marks, what: str) -> list[Problem]:
    problems, first_seen = [], {}
    for name, path in zip(names, paths):
        if name in first_seen:
            line = marks.at(first_seen[name])[0]
            problems.append(
                marks.problem(
                    path,
                    f"duplicate {what} name `{name}`",
                    f"names must be unique; the first `{name}` is on line {line}",
                )
            )
        else:
            first_seen[name] = path
    return problems


def check_references(
    assignment: AssignmentFile, sla: SlaFile, escalation: EscalationFile, marks: dict[str, Marks]
) -> list[Problem]:
    a_marks, s_marks, e_marks = marks["assignment.yaml"], marks["sla.yaml"], marks["escalation.yaml"]
    people, teams, roles = list(assignment.people), list(assignment.teams), list(escalation.roles)
    problems: list[Problem] = []
    for team_name, team in assignment.teams.items():
        for i, member in enumerate(team.members):
            if member not in assignment.people:
                problems.append(_unknown(a_marks, ("teams", team_name, "members", i), "person", member, people))
        if team.lead and team.lead not in assignment.people:
            problems.append(_unknown(a_marks, ("teams", team_name, "lead"), "person", team.lead, people))
    skills = {skill.lower() for person in assignment.people.values() for skill in person.skills}
    names = [rule.name for rule in assignment.rules]
    problems += _unique(names, [("rules", i, "name") for i in range(len(names))], a_marks, "rule")
    recipients = people + teams + roles
    for i, rule in enumerate(assignment.rules):
        assign, here = rule.then.assign, ("rules", i, "then")
        if assign and assign.team and assign.team not in assignment.teams:
            problems.append(_unknown(a_marks, here + ("assign", "team"), "team", assign.team, teams))
        if assign and assign.person and assign.person not in assignment.people:
            problems.append(_unknown(a_marks, here + ("assign", "person"), "person", assign.person, people))
        if assign and isinstance(assign.specialist, str) and assign.specialist.lower() not in skills:
            problems.append(
                _unknown(a_marks, here + ("assign", "specialist"), "skill", assign.specialist, sorted(skills))
            )
        for j, target in enumerate(rule.then.notify):
            if target not in recipients:
                problems.append(_unknown(a_marks, here + ("notify", j), "person, team or role", target, recipients))
    calendars = list(sla.calendars) + ["always"]
    if sla.default_calendar not in calendars:
        problems.append(_unknown(s_marks, ("default_calendar",), "calendar", sla.default_calendar, calendars))
    for i, override in enumerate(sla.overrides):
        if override.calendar and override.calendar not in calendars:
            problems.append(_unknown(s_marks, ("overrides", i, "calendar"), "calendar", override.calendar, calendars))
    problems += _unique(
        [o.name for o in sla.overrides],
        [("overrides", i, "name") for i in range(len(sla.overrides))],
        s_marks,
        "override",
    )
    for role, target in escalation.roles.items():
        if target not in people + teams:
            problems.append(_unknown(e_marks, ("roles", role), "person or team", target, people + teams))
    targets = recipients + list(KEYWORDS)
    steps = [(("levels", name), level) for name, level in escalation.levels.items()]
    steps += [
        ((key,), getattr(escalation, key))
        for key in ("after_hours_urgent", "unassigned_urgent")
        if getattr(escalation, key)
    ]
    for path, step in steps:
        for j, target in enumerate(step.notify):
            if target not in targets:
                problems.append(
                    _unknown(e_marks, path + ("notify", j), "person, team, role or keyword", target, targets)
                )
        if step.reassign and step.reassign not in targets:
            problems.append(
                _unknown(e_marks, path + ("reassign",), "person, team, role or keyword", step.reassign, targets)
            )
    return problems
