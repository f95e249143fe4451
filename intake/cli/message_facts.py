"""The facts a new ticket of a mail file would have when the rules first decide it, for `rules explain --message`.

The mail goes through what a new ticket goes through before the rules: the email channel's parse (and the parse
stage's control-character cleaning), then the classifier of the rules folder with the registry file. The facts
are then taken from the classification as the persist stage stores it (`intake/pipeline/persist.py`) and the
decide stage reads it back (`ticket_facts`): priority from the urgency, the property's contract on that day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import click

from assignment import TicketFacts
from assignment.ticket_facts import names_in
from classifiers import Classification, ClassifyInput
from intake.channels.base import ParseError
from intake.cli.classify import load_classifier
from intake.cli.display import shown
from intake.cli.email import read_mail_file
from intake.core.clean import clean_message
from intake.core.models import InboundMessage
from intake.core.settings import get_settings
from intake.core.vocabulary import priority_of
from store.registry import Property

# Classification fields a new ticket keeps under the same name, and the rules read as they are.
KEPT_AS_CLASSIFIED = {"category", "subcategory", "urgency", "unit", "billing_type", "needs_review"}


def message_file_facts(
    path: Path, at: datetime, rules_dir: Path, registry_file: str | None
) -> tuple[TicketFacts, list[str]]:
    """The facts of a new ticket of the mail in `path` arriving `at`, and notes on what the pipeline would do
    differently (automatic mail opens no ticket)."""
    try:
        message = clean_message(read_mail_file(path, get_settings()))
    except (ParseError, OSError) as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    classifier = load_classifier(registry_file, str(rules_dir))
    result = classifier.classify(
        ClassifyInput(
            channel=message.channel.value,
            sender=message.sender,
            subject=message.subject,
            body=message.text or message.full_text,
            received_at=at,
        )
    )
    prop = classifier.registry.property(result.property) if result.property else None
    notes = [f"note: automatic mail ({message.auto}): the pipeline would open no ticket for it"] if message.auto else []
    return new_ticket_facts(message, result, prop, at), notes


def new_ticket_facts(
    message: InboundMessage, result: Classification, prop: Property | None, at: datetime
) -> TicketFacts:
    """What the rules read about a ticket just opened for `message` with this classification."""
    contract, contract_status = contract_on(prop, at.astimezone(UTC).date())
    priority = priority_of(result.urgency)
    return TicketFacts(
        **result.model_dump(include=KEPT_AS_CLASSIFIED),
        property_id=result.property,
        hazards=names_in(result.evidence, "hazard"),
        signals=names_in(result.evidence, "signal"),
        confidence=min(result.confidence.values(), default=1.0),  # the overall one: its least sure field
        priority=priority.lower() if priority else None,  # a new ticket's priority follows its urgency
        contract=contract,
        contract_status=contract_status,
        channel=message.channel.value,
        text=message.text or message.full_text,
        subject=message.subject,
        sender=message.sender,
        created_at=at,
    )


def contract_on(prop: Property | None, on: date) -> tuple[str | None, str]:
    """The property's service contract on that day: (`PROPERTY-STARTDATE` while in force else None, and
    active / expired / upcoming / none), as the decide stage reads it from the registry."""
    contract = prop.contract if prop is not None else None
    if prop is None or contract is None:
        return None, "none"
    if on < contract.starts:
        return None, "upcoming"
    if on > contract.ends:
        return None, "expired"
    return f"{prop.id}-{contract.starts.isoformat()}", "active"


def describe_facts(name: str, facts: TicketFacts) -> list[str]:
    """Two lines on what the classifier made of the message, before the rules."""
    category = "/".join(shown(part) for part in (facts.category, facts.subcategory))
    review = ", needs review" if facts.needs_review else ""
    return [
        f"{name} classified as a new ticket: {category}, urgency {shown(facts.urgency)}, "
        f"confidence {facts.confidence:.2f}{review}",
        f"  property {shown(facts.property_id)} unit {shown(facts.unit)}, billing {shown(facts.billing_type)}, "
        f"contract {facts.contract_status}, hazards {shown(facts.hazards)}, signals {shown(facts.signals)}",
    ]
