"""A stored ticket as the rules see it: `ticket_facts` maps its fields (and the property's contract on the day it
came in) to `TicketFacts`; `stored_facts` adds the stretches it spent in each status, which pause SLA clocks.

The pipeline, the timers, routing after triage and `intake rules diff` all build facts here, so a decision can be
replayed from stored tickets alone.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, object_session

from assignment.facts import Pause, TicketFacts
from store.models import PropertyRow, Ticket

STATUS_EVENTS = ("status-changed", "reopened")


def names_in(evidence: list, field: str) -> list[str]:
    """The NAMEs of `field:NAME` evidence (Evidence objects or stored dicts), in order, once each: with "hazard"
    the hazards found, with "signal" the signals; what rules match with `hazard:` and `signal:`."""
    prefix, names = f"{field}:", []
    for item in evidence or []:
        item_field, source = (
            (item.get("field"), item.get("source")) if isinstance(item, dict) else (item.field, item.source)
        )
        if (
            item_field == field
            and isinstance(source, str)
            and source.startswith(prefix)
            and source[len(prefix) :] not in names
        ):
            names.append(source[len(prefix) :])
    return names


def ticket_facts(ticket: Ticket, text: str = "") -> TicketFacts:
    """What the rules may look at, from a stored ticket (also used to replay tickets in `rules diff`)."""
    confidence = min(ticket.confidence.values()) if ticket.confidence else 1.0
    contract, contract_status = ticket_contract(ticket)
    return TicketFacts(
        number=ticket.number,
        channel=ticket.channel,
        category=ticket.category,
        subcategory=ticket.subcategory,
        urgency=ticket.urgency,
        property_id=ticket.property_id,
        unit=ticket.unit,
        billing_type=ticket.billing_type,
        contract=contract,
        contract_status=contract_status,
        hazards=names_in(ticket.evidence, "hazard"),
        signals=names_in(ticket.evidence, "signal"),
        confidence=confidence,
        needs_review=ticket.needs_review,
        text=text,
        subject=ticket.subject,
        sender=ticket.requester,
        status=ticket.status,
        assignee=ticket.assignee,
        priority=ticket.priority.lower() if ticket.priority else None,  # stored URGENT…LOW, rules use urgent…low
        team=ticket.team,
        created_at=ticket.created_at,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
    )


def ticket_contract(ticket: Ticket) -> tuple[str | None, str]:
    """The property's service contract from the registry, on the day the ticket came in (UTC date):
    (`PROPERTY-STARTDATE` while it is in force else None, and active / expired / upcoming / none)."""
    starts, ends = _contract_dates(object_session(ticket), ticket.property_id)
    if starts is None:
        return None, "none"
    on = (ticket.created_at or datetime.now(UTC)).astimezone(UTC).date()
    if on < starts:
        return None, "upcoming"
    if ends is not None and on > ends:
        return None, "expired"
    return f"{ticket.property_id}-{starts.isoformat()}", "active"


def _contract_dates(session: Session | None, property_id: str | None) -> tuple:
    """(starts, ends) of a property's contract, once per transaction (the facts are built several times per
    item): from the registry the pipeline classified with (see `classifier_of`), else from the store."""
    if session is None or not property_id:
        return None, None
    cache = session.info.setdefault("contract_dates", {})
    if property_id not in cache:
        registry = session.info.get("registry")
        if registry is not None:
            prop = registry.property(property_id)
            contract = prop.contract if prop is not None else None
            cache[property_id] = (contract.starts, contract.ends) if contract else (None, None)
        else:
            row = session.get(PropertyRow, property_id)
            cache[property_id] = (row.contract_starts, row.contract_ends) if row is not None else (None, None)
    return cache[property_id]


def ticket_pauses(ticket: Ticket) -> list[Pause]:
    """Every stretch the ticket spent in a status, with what it waited on, from its timeline's status events
    (the engine keeps only the stretches sla.yaml says pause the clock)."""
    pauses: list[Pause] = []
    for event in sorted(ticket.events, key=lambda e: (e.at, e.id or 0)):
        change = (event.changes or {}).get("status") if event.kind in STATUS_EVENTS else None
        if not change:
            continue
        if pauses and pauses[-1].end is None:
            pauses[-1].end = event.at
        pauses.append(Pause(status=change["to"], start=event.at, waiting_on=event.changes.get("waiting_on")))
    return pauses


def ticket_waiting_on(ticket: Ticket) -> str | None:
    """What a pending ticket waits on now (from its last status event), or None."""
    pauses = ticket_pauses(ticket)
    last = pauses[-1] if pauses else None
    return last.waiting_on if last is not None and last.status == ticket.status else None


def stored_facts(ticket: Ticket, text: str = "") -> TicketFacts:
    """The ticket's facts as the rules see them, pauses included."""
    facts = ticket_facts(ticket, text)
    facts.pauses = ticket_pauses(ticket)
    return facts
