"""The rules engine: turns a ticket's facts into a decision (team, person, priority, tags, triage, approval,
notifications), an SLA plan and escalation timers. Pure: time and workload are arguments, nothing is stored.

Order matters: rules are tried top to bottom, the first match decides unless it says `continue: true`.
A value (team, person, priority) set by an earlier matching rule is kept; tags and notifications add up.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from assignment.conditions import Leaf
from assignment.decision import Decision, Notification, RuleHit
from assignment.errors import RulesError
from assignment.escalation import EscalationAction, EscalationPolicy, Timer, action_for
from assignment.facts import TicketFacts, Workload
from assignment.hours import DAYS
from assignment.loader import CompiledRule, Loaded, read_directory
from assignment.pauses import ClockStops
from assignment.people import Person, Team, pick_person, ticket_skills
from assignment.sla import BusinessCalendar, Override, SlaPlan, SlaPolicy

AFTER_HOURS_RULE = "after-hours-urgent"


def _lower(value: str | None) -> str | None:
    return value.lower() if value is not None else None


class RuleEngine:
    """Compiled rules of one rules directory. Build with `RuleEngine.load(path)`."""

    def __init__(self, loaded: Loaded, source: Path | None = None):
        self.source, self.hashes = source, loaded.hashes
        self.rules: list[CompiledRule] = loaded.rules
        sla = loaded.sla
        calendars = {name: BusinessCalendar.from_spec(name, spec) for name, spec in sla.calendars.items()}
        calendars.setdefault("always", BusinessCalendar.always())
        overrides = [
            Override(o.name, cond, dict(o.targets), o.calendar) for o, cond in zip(sla.overrides, loaded.sla_conditions)
        ]
        stops = ClockStops.from_spec(sla.pause_statuses, sla.waiting_on)
        self.sla = SlaPolicy(calendars, sla.default_calendar, sla.targets, overrides, stops)
        self.calendar = self.sla.calendar_for()
        self.people = {
            name: Person.from_spec(name, spec, self.calendar.timezone)
            for name, spec in loaded.assignment.people.items()
        }
        self.teams = {name: Team.from_spec(name, spec) for name, spec in loaded.assignment.teams.items()}
        self.escalation = EscalationPolicy(loaded.escalation, dict(loaded.escalation.roles))
        self._misses: dict[tuple[int, str], RuleHit] = {}

    @classmethod
    def load(cls, rules_dir: Path | str) -> RuleEngine:
        """Validate and compile a rules directory; raises RulesError listing every problem."""
        loaded, problems = read_directory(Path(rules_dir))
        if loaded is None:
            raise RulesError(problems)
        return cls(loaded, Path(rules_dir))

    # ---- facts → view ------------------------------------------------------------------------------------
    def view(self, facts: TicketFacts, now: datetime) -> dict:
        """Every vocabulary field's value for this ticket at `now`, strings lower-cased, computed once."""
        local = now.astimezone(self.calendar.timezone)
        subject = facts.subject or ""
        return {
            "category": _lower(facts.category),
            "subcategory": _lower(facts.subcategory),
            "urgency": _lower(facts.urgency),
            "priority": _lower(facts.priority),
            "property": _lower(facts.property_id),
            "unit": _lower(facts.unit),
            "channel": _lower(facts.channel),
            "billing_type": _lower(facts.billing_type),
            "contract": _lower(facts.contract),
            "contract_status": facts.contract_status,
            "status": _lower(facts.status),
            "team": _lower(facts.team),
            "assignee": _lower(facts.assignee),
            "sender": _lower(facts.sender),
            "text": f"{subject}\n{facts.text}".lower(),
            "subject": subject.lower(),
            "hazard": frozenset(h.lower() for h in facts.hazards),
            "signal": frozenset(s.lower() for s in facts.signals),
            "confidence": facts.confidence,
            "needs_review": facts.needs_review,
            "time_of_day": local.hour * 60 + local.minute,
            "weekday": DAYS[local.weekday()],
            "business_hours": self.calendar.is_open(now),
        }

    # ---- decide ------------------------------------------------------------------------------------------
    def decide(self, facts: TicketFacts, workload: Workload, now: datetime, *, explain: bool = False) -> Decision:
        """Apply the rules in order. With `explain`, every rule gets full per-condition reasons, including
        those after the deciding rule (marked not reached)."""
        view = self.view(facts, now)
        decision = Decision()
        cursors: dict[str, int] = {}
        hits = decision.hits
        decided_by = None
        for index, rule in enumerate(self.rules):
            if decided_by is not None:
                reasons = (f"not reached: `{decided_by}` decided first", *rule.when.reasons(view)[1])
                hits.append(RuleHit(rule=rule.name, matched=False, reasons=reasons))
                continue
            failed = None
            for leaf in rule.leaves:  # the common case, a flat list of tests, inlined for speed
                if not leaf.check(view[leaf.field]):
                    failed = leaf
                    break
            else:
                if not rule.leaves:
                    failed = rule.when.failing(view)
            if failed is None:
                hits.append(RuleHit(rule=rule.name, matched=True, reasons=tuple(rule.when.reasons(view)[1])))
                self._apply(rule, decision, facts, workload, now, cursors, view)
                if not rule.continue_:
                    if not explain:
                        break
                    decided_by = rule.name
            elif explain:
                hits.append(RuleHit(rule=rule.name, matched=False, reasons=tuple(rule.when.reasons(view)[1])))
            else:
                hits.append(self._miss(index, rule.name, failed, view))
        self._after_hours(decision, facts, workload, now, cursors)
        decision.round_robin_cursors = cursors
        return decision

    def _miss(self, index: int, rule: str, failed, view: dict) -> RuleHit:
        """The same miss for the same reason is one shared (immutable) hit: most rules miss most tickets.
        A failed leaf's reason depends only on the leaf and the field's value, so that is the cache key."""
        key = (index, id(failed), view[failed.field]) if isinstance(failed, Leaf) else (index, failed.why_not(view))
        hit = self._misses.get(key)
        if hit is None:
            if len(self._misses) > 100_000:  # free-text values could grow it without bound
                self._misses.clear()
            hit = self._misses[key] = RuleHit(rule=rule, matched=False, reasons=(failed.why_not(view),))
        return hit

    _ATTRIBUTE = {"triage": "to_triage"}

    def _set(self, decision: Decision, key: str, value, rule: str) -> bool:
        """Set a decision value unless an earlier rule already did (first set wins)."""
        if key in decision.set_by:
            return False
        setattr(decision, self._ATTRIBUTE.get(key, key), value)
        decision.set_by[key] = rule
        return True

    def _apply(
        self,
        rule: CompiledRule,
        decision: Decision,
        facts: TicketFacts,
        workload: Workload,
        now: datetime,
        cursors: dict[str, int],
        view: dict,
    ) -> None:
        then = rule.then
        if then.priority and self._set(decision, "priority", then.priority, rule.name):
            view["priority"] = then.priority  # later rules may test the new priority
        if then.triage:
            self._set(decision, "triage", True, rule.name)
        if then.require_approval:
            self._set(decision, "requires_approval", True, rule.name)
        for tag in then.tags:
            if tag not in decision.tags:
                decision.tags.append(tag)
                decision.tag_rules[tag] = rule.name
        decision.notify += [self._notification(name, rule.name) for name in then.notify]
        if then.assign and "team" not in decision.set_by and "assignee" not in decision.set_by:
            self._assign(then.assign, rule.name, decision, facts, workload, now, cursors)
            view["team"], view["assignee"] = _lower(decision.team), _lower(decision.assignee)

    def _notification(self, name: str, rule: str, decision: Decision | None = None) -> Notification | None:
        if decision is not None and name in ("assignee", "team", "team-lead"):  # the ticket's own, as decided
            team = self.teams.get(decision.team or "")
            name = {"assignee": decision.assignee, "team": decision.team, "team-lead": team.lead if team else None}[
                name
            ]
            if name is None:
                return None
        target = self.escalation.roles.get(name, name)
        kind = "person" if target in self.people else "team"
        return Notification(target=target, kind=kind, rule=rule, via=name if name != target else None)

    def _team_of(self, person: str) -> str | None:
        return next((team.name for team in self.teams.values() if person in team.members), None)

    def _assign(
        self,
        assign,
        rule: str,
        decision: Decision,
        facts: TicketFacts,
        workload: Workload,
        now: datetime,
        cursors: dict[str, int],
    ) -> None:
        team = self.teams.get(assign.team) if assign.team else None
        if assign.person:
            self._set(decision, "assignee", assign.person, rule)
            self._set(decision, "team", assign.team or self._team_of(assign.person), rule)
            return
        strategy = assign.pick or (team.pick if team else "least_loaded")
        if assign.specialist:
            skills = [assign.specialist] if isinstance(assign.specialist, str) else ticket_skills(facts)
            pool = [self.people[name] for name in (team.members if team else self.people)]
            for skill in skills:
                experts = [person for person in pool if person.has_skill(skill)]
                person, note = pick_person(f"specialist:{skill}", experts, strategy, facts, workload, now, cursors)
                if person:
                    self._set(decision, "assignee", person.name, rule)
                    self._set(decision, "team", team.name if team else self._team_of(person.name), rule)
                    decision.notes.append(note)
                    return
                decision.notes.append(f"no {skill} specialist available ({note})")
        if team:
            self._set(decision, "team", team.name, rule)
            person, note = pick_person(
                team.name, [self.people[m] for m in team.members], strategy, facts, workload, now, cursors
            )
            if person:
                self._set(decision, "assignee", person.name, rule)
            decision.notes.append(note)

    def _after_hours(
        self, decision: Decision, facts: TicketFacts, workload: Workload, now: datetime, cursors: dict[str, int]
    ) -> None:
        step = self.escalation.spec.after_hours_urgent
        if step is None:
            return
        priority = decision.priority or facts.priority or facts.urgency
        applies, reasons = self.escalation.after_hours(priority, self.calendar, now)
        decision.hits.append(RuleHit(rule=AFTER_HOURS_RULE, matched=applies, reasons=tuple(reasons)))
        if not applies:
            return
        target = self.escalation.roles.get(step.reassign, step.reassign) if step.reassign else None
        if target in self.people:
            decision.assignee, decision.team = target, self._team_of(target) or decision.team
            decision.set_by.update(assignee=AFTER_HOURS_RULE, team=AFTER_HOURS_RULE)
        elif target in self.teams:
            decision.team, decision.assignee = target, None
            decision.set_by.update(team=AFTER_HOURS_RULE)
            decision.set_by.pop("assignee", None)
            person, note = pick_person(
                target,
                [self.people[m] for m in self.teams[target].members],
                self.teams[target].pick,
                facts,
                workload,
                now,
                cursors,
            )
            if person:
                decision.assignee, decision.set_by["assignee"] = person.name, AFTER_HOURS_RULE
            decision.notes.append(note)
        decision.notify += [
            n for n in (self._notification(name, AFTER_HOURS_RULE, decision) for name in step.notify) if n
        ]

    # ---- SLA and escalation ------------------------------------------------------------------------------
    def sla_plan(self, facts: TicketFacts, created_at: datetime | None = None) -> SlaPlan:
        """Due times for the ticket's priority (else urgency), honouring overrides, calendars and pauses."""
        started = created_at or facts.created_at
        priority = facts.priority or facts.urgency or "standard"
        return self.sla.plan(priority, self.view(facts, started), started, facts.pauses)

    def timers(self, facts: TicketFacts, plan: SlaPlan, *, assigned: bool, now: datetime) -> list[Timer]:
        """Escalation timers to schedule for this plan (see EscalationPolicy.timers)."""
        counting = self.sla.counting_calendar(plan)
        return self.escalation.timers(
            facts, plan, counting, assigned=assigned, now=now, pause_statuses=self.sla.pause_statuses
        )

    def action_for(self, timer: Timer, facts: TicketFacts, now: datetime) -> EscalationAction | None:
        """Re-check a fired timer with the ticket's current facts; re-plans so pauses move deadlines."""
        current_due = None
        if timer.target != "unassigned":
            replanned = self.timers(facts, self.sla_plan(facts), assigned=bool(facts.assignee), now=timer.due_at)
            current_due = next((t.due_at for t in replanned if t.kind == timer.kind), None)
        leads = {name: team.lead for name, team in self.teams.items()}
        return action_for(
            timer, facts, now, pause_statuses=self.sla.pause_statuses, current_due=current_due, team_leads=leads
        )

    @property
    def rule_names(self) -> list[str]:
        return [rule.name for rule in self.rules]
