"""Typed input and output of the classification stage (`classify` in the pipeline's stage list)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

FIELDS: tuple[str, ...] = ("category", "subcategory", "urgency", "property", "unit", "billing_type")


class ClassifyInput(BaseModel):
    """What the classifier reads: the new text of one message (quotes removed) and who sent it."""

    id: str | None = None
    channel: str = "email"
    sender: str | None = None
    subject: str | None = None
    body: str = ""
    received_at: datetime | None = None


class Evidence(BaseModel):
    """Why a field has its value: the rule, pattern or lookup (`source`) and the matched text."""

    field: str
    source: str
    text: str


class Classification(BaseModel):
    """Every decision with its confidence (0-1) and evidence; `needs_review` sends it to triage."""

    category: str | None = None
    subcategory: str | None = None
    urgency: str | None = None
    property: str | None = None
    unit: str | None = None
    billing_type: str | None = None
    requires_approval: bool = False
    estimated_cost: float | None = None
    currency: str | None = None
    confidence: dict[str, float] = Field(default_factory=dict)
    evidence: list[Evidence] = Field(default_factory=list)
    needs_review: bool = False
    review_reasons: list[str] = Field(default_factory=list)
    possible_emergency: bool = False  # not urgent, but not confidently non-urgent either (classifiers/safety.py)
    emergency_reasons: list[str] = Field(default_factory=list)


# Evidence as plain data (field, source, text), before `Classification` validates it.
EvidenceItem = dict[str, str]


def evidence_item(field: str, source: str, text: str) -> EvidenceItem:
    """One piece of evidence as plain data; `Classification` validates them all at once (cheaper)."""
    return {"field": field, "source": source, "text": text}
