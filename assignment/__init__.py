"""Assignment: the rules engine ops drive from `rules/*.yaml` — assignment, SLA plans and escalation.

The pipeline calls `RuleEngine.decide` for each new or changed ticket; actors schedule `Timer`s and call
`RuleEngine.action_for` when they fire; a `RulesHolder` keeps the last good rules in a running service.
"""

from assignment.decision import Decision, Notification, RuleHit
from assignment.diff import DiffReport, diff_decisions
from assignment.engine import RuleEngine
from assignment.errors import Problem, RulesError
from assignment.escalation import EscalationAction, Timer
from assignment.facts import Pause, TicketFacts, Workload
from assignment.holder import RulesHolder
from assignment.operators import OPERATORS
from assignment.sla import BusinessCalendar, SlaPlan
from assignment.vocabulary import ACTIONS, FIELDS, describe_vocabulary

__all__ = [
    "ACTIONS",
    "FIELDS",
    "OPERATORS",
    "BusinessCalendar",
    "Decision",
    "DiffReport",
    "EscalationAction",
    "Notification",
    "Pause",
    "Problem",
    "RuleEngine",
    "RuleHit",
    "RulesError",
    "RulesHolder",
    "SlaPlan",
    "TicketFacts",
    "Timer",
    "Workload",
    "describe_vocabulary",
    "diff_decisions",
]
