"""The vocabulary rule files may use: ticket fields, condition operators and actions, declared in code.

YAML only names these; loading checks every name against this registry (with a "did you mean") so a typo is
caught by `intake rules check`, never at 3 a.m. `describe_vocabulary()` prints it for ops and editors.
"""

from __future__ import annotations

from dataclasses import dataclass

from assignment.hours import DAYS
from assignment.operators import OPERATORS
from intake.core.vocabulary import CHANNELS, STATUSES, URGENCY_LEVELS

BILLING_TYPES = ("guarantee", "sla", "billable")
CONTRACT_STATUSES = ("active", "expired", "upcoming", "none")
# What the classifier notices besides the hazards (urgency.yaml's word lists), as it reports them in its evidence
# (`signal:NAME`); classifiers.signals.SIGNALS is the other half of this contract, a test keeps them equal.
SIGNALS = ("minor", "not-urgent", "recurring", "resolved", "vulnerable")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # choice | text | number | flag | clock | set (names the ticket may have several of)
    description: str
    values: tuple[str, ...] | None = None  # the closed set of values, when there is one


FIELDS: dict[str, FieldSpec] = {
    f.name: f
    for f in [
        FieldSpec(
            "category", "choice", "classified category (rules/taxonomy.yaml), e.g. maintenance, complaint, payment"
        ),
        FieldSpec("subcategory", "choice", "classified subcategory (rules/taxonomy.yaml), e.g. plumbing, noise"),
        FieldSpec("urgency", "choice", "classified urgency", URGENCY_LEVELS),
        FieldSpec("priority", "choice", "priority already on the ticket (or set by an earlier rule)", URGENCY_LEVELS),
        FieldSpec("property", "choice", "property id from the registry, e.g. HBR"),
        FieldSpec("unit", "choice", "unit id within the property, e.g. 101"),
        FieldSpec("channel", "choice", "where the message came from", CHANNELS),
        FieldSpec("billing_type", "choice", "guarantee, sla (under contract) or billable", BILLING_TYPES),
        FieldSpec(
            "contract",
            "choice",
            "the property's service contract in force when the ticket came in, named "
            "PROPERTY-STARTDATE (e.g. HBR-2026-01-01); unset outside a contract",
        ),
        FieldSpec(
            "contract_status", "choice", "the property's service contract on the ticket's date", CONTRACT_STATUSES
        ),
        FieldSpec("status", "choice", "ticket status", STATUSES),
        FieldSpec("team", "choice", "team already on the ticket"),
        FieldSpec("assignee", "choice", "person already on the ticket"),
        FieldSpec("sender", "text", "sender's email address or phone number"),
        FieldSpec("text", "text", "subject and message text together"),
        FieldSpec("subject", "text", "subject line (email)"),
        FieldSpec(
            "hazard",
            "set",
            "dangers the classifier found and did not see negated or resolved "
            "(rules/urgency.yaml `hazards:`), e.g. gas-smell, fire-smoke, carbon-monoxide",
        ),
        FieldSpec(
            "signal",
            "set",
            "what else the classifier noticed: a vulnerable occupant, the sender says it is "
            "not urgent, it is resolved, it is recurring, it is minor",
            SIGNALS,
        ),
        FieldSpec("confidence", "number", "overall classification confidence, 0 to 1 (lowest of the fields)"),
        FieldSpec("needs_review", "flag", "the classifier asked for a human to check"),
        FieldSpec("time_of_day", "clock", "local time of the decision, in the default calendar's time zone"),
        FieldSpec("weekday", "choice", "local day of the decision: mon … sun", DAYS),
        FieldSpec("business_hours", "flag", "the default calendar is open (working hours, not a holiday)"),
    ]
}


ACTIONS: dict[str, str] = {
    "assign": "team and/or person; `pick: least_loaded | round_robin | none`; `specialist: SKILL | true`",
    "priority": "set the priority: urgent, high, standard or low",
    "tags": "add tags to the ticket",
    "triage": "true: send to the human triage queue",
    "require_approval": "true: billable work needs billing approval before dispatch",
    "notify": "people, teams or escalation roles to notify",
}
COMBINATORS = ("all", "any", "not")


def describe_vocabulary(known: dict[str, tuple[str, ...]] | None = None) -> str:
    """The exported vocabulary as text, for `intake rules vocabulary` and the README. `known`: values the rules
    folder defines (categories, hazards…, see `assignment.loader.known_values`), listed with their field."""
    known = known or {}
    lines = ["Fields:"]
    for f in FIELDS.values():
        values = f.values or known.get(f.name)
        lines.append(f"  {f.name:<15} {f.kind:<7} {f.description}" + (f" ({', '.join(values)})" if values else ""))
    lines.append("Operators:")
    lines += [f"  {o.name:<13} {'/'.join(sorted(o.kinds)):<20} {o.description}" for o in OPERATORS.values()]
    lines.append("Actions:")
    lines += [f"  {name:<17} {text}" for name, text in ACTIONS.items()]
    return "\n".join(lines)
