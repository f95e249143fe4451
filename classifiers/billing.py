"""Who pays for a maintenance ticket: guarantee, then SLA (active service contract), else billable.

Rules in rules/billing.yaml; guarantees, contracts and the fee schedule come from the registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from classifiers.models import EvidenceItem, evidence_item
from classifiers.ruleset import Billing
from store.registry import Registry


@dataclass
class BillingDecision:
    billing_type: str | None = None
    requires_approval: bool = False
    estimated_cost: float | None = None
    currency: str | None = None
    confidence: float = 1.0
    evidence: list[EvidenceItem] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def decide_billing(
    rules: Billing,
    registry: Registry,
    category: str | None,
    subcategory: str | None,
    urgency: str | None,
    property_id: str | None,
    unit: str | None,
    on: date,
) -> BillingDecision:
    """Billing type for a ticket of this category/subcategory at this property and unit on `on`."""
    if category not in rules.billed_categories:
        return BillingDecision(evidence=[_evidence("not-billed-category", category or "")])
    prop = registry.property(property_id) if property_id else None
    for kind in rules.order:
        if kind == "guarantee" and prop is not None:
            guarantee = next((g for g in prop.guarantees if g.covers(unit, subcategory, on)), None)
            if guarantee is not None:
                where = ", ".join(guarantee.units) or "whole property"
                text = f"{prop.id} {subcategory} ({where}) completed {guarantee.completed_on}, {guarantee.days} days"
                return BillingDecision("guarantee", evidence=[_evidence("registry:guarantee", text)])
        if kind == "sla" and prop is not None and prop.contract is not None and prop.contract.is_active(on):
            text = f"{prop.id} contract {prop.contract.starts}..{prop.contract.ends}"
            return BillingDecision("sla", evidence=[_evidence("registry:contract", text)])
        if kind == "billable":
            return _billable(rules, registry, subcategory, urgency, prop is not None)
    return BillingDecision(confidence=0.5, reasons=["no billing rule applied"])


def _billable(
    rules: Billing, registry: Registry, subcategory: str | None, urgency: str | None, known_property: bool
) -> BillingDecision:
    fee = registry.fee_for(subcategory, urgency)
    decision = BillingDecision(
        "billable",
        rules.billable_requires_approval,
        fee.amount if fee else None,
        fee.currency if fee else None,
        confidence=0.9 if known_property else 0.5,
    )
    text = f"{subcategory}/{fee.urgency or 'any'}: {fee.amount} {fee.currency}" if fee else f"no fee for {subcategory}"
    decision.evidence.append(_evidence("registry:fee-schedule", text))
    if fee is None and rules.review_when_no_fee:
        decision.reasons.append(f"no fee in the schedule for {subcategory}")
    if not known_property:
        decision.reasons.append("property unknown: cannot check guarantee or contract")
    return decision


def _evidence(source: str, text: str) -> EvidenceItem:
    return evidence_item(field="billing_type", source=source, text=text)
