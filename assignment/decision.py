"""What the engine returns: the decision for one ticket and the trail of rules that produced it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RuleHit(BaseModel):
    """One evaluated rule: whether it matched and why (or why not), per condition. Immutable: the engine
    shares identical misses between decisions, which keeps deciding against hundreds of rules cheap."""

    model_config = ConfigDict(frozen=True)

    rule: str
    matched: bool
    reasons: tuple[str, ...] = ()


class Notification(BaseModel):
    target: str  # a person or team name
    kind: Literal["person", "team"]
    via: str | None = None  # the escalation role it was addressed to, e.g. on-call
    rule: str  # the rule that asked for it


class Decision(BaseModel):
    """The outcome of the rules for one ticket. Fields a rule did not set stay None / empty."""

    team: str | None = None
    assignee: str | None = None
    priority: str | None = None
    tags: list[str] = Field(default_factory=list)
    to_triage: bool = False
    requires_approval: bool = False
    notify: list[Notification] = Field(default_factory=list)
    hits: list[RuleHit] = Field(default_factory=list)  # every evaluated rule, in order
    round_robin_cursors: dict[str, int] = Field(default_factory=dict)  # the caller persists these
    set_by: dict[str, str] = Field(default_factory=dict)  # "team", "assignee", "priority", … → rule name
    tag_rules: dict[str, str] = Field(default_factory=dict)  # tag → the rule that added it
    notes: list[str] = Field(default_factory=list)  # e.g. why nobody could be picked within a team

    @property
    def matched_rules(self) -> list[str]:
        return [hit.rule for hit in self.hits if hit.matched]

    def because(self, key: str) -> str:
        """`because rule `x` matched <its reasons>` for a decided value (team, priority, …)."""
        return self._because_rule(self.set_by.get(key))

    def _because(self, key: str) -> str:
        return self.because(key)

    def _because_rule(self, rule: str | None) -> str:
        hit = next((h for h in self.hits if h.rule == rule and h.matched), None)
        why = "; ".join(reason.removesuffix(" matched") for reason in hit.reasons) if hit else ""
        return f"because rule `{rule}` matched {why}".rstrip()

    def explain(self) -> str:
        """One line per decision, for dispatchers and the ticket timeline."""
        lines = []
        if self.team or self.assignee:
            who = " / ".join(x for x in (self.team, self.assignee) if x)
            lines.append(f"assigned to {who} {self._because('team' if 'team' in self.set_by else 'assignee')}")
            if "assignee" in self.set_by and self.set_by.get("assignee") != self.set_by.get("team"):
                lines.append(f"person {self.assignee} {self._because('assignee')}")
        else:
            lines.append("not assigned: no rule assigned a team or person")
        if self.priority:
            lines.append(f"priority {self.priority} {self._because('priority')}")
        if self.to_triage:
            lines.append(f"sent to triage {self._because('triage')}")
        if self.requires_approval:
            lines.append(f"needs billing approval {self._because('requires_approval')}")
        if self.tags:
            lines.append("tags: " + ", ".join(self.tags))
        for note in self.notify:
            lines.append(f"notify {note.kind} {note.target} (rule `{note.rule}`)")
        lines.extend(self.notes)
        return "\n".join(lines)
