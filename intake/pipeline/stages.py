"""The pipeline stages, in order: parse → guard → thread → classify → persist → decide → acknowledge.

Each stage is a plain function `(ctx, session, work) -> Verdict | None`; returning a Verdict ends the item
with that outcome. All stages of one item run inside one database transaction (see `process.py`).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from intake.channels.base import ThreadContext
from intake.channels.registry import get_channel
from intake.core.after_commit import AfterCommit, Kind
from intake.core.clean import clean_message
from intake.core.models import ChannelName, ThreadCandidate, ThreadMatch
from intake.pipeline.decide import apply_rules, redecide
from intake.pipeline.delivery import record_delivery_report
from intake.pipeline.persist import append_to_ticket, open_ticket, over_rate_limit
from intake.pipeline.work import Verdict, Work, classifier_of
from intake.runtime import Runtime
from outbound.service import queue_acknowledgement
from store import threads
from store import tickets as ticket_store

log = logging.getLogger(__name__)


def parse(ctx: Runtime, session: Session, work: Work) -> Verdict | None:
    """The channel turns its raw bytes into an InboundMessage (ParseError → quarantine, see process.py);
    a channel that carries attachment bytes (email) hands them over from the same parse. Control
    characters (NUL above all) are removed from the message's text fields here, for every channel."""
    channel = get_channel(work.raw.channel)
    message, work.attachment_contents = channel.parse_with_contents(work.raw, ctx.settings)
    work.message = clean_message(message).model_copy(update={"raw_id": work.raw.id})
    return None


def guard(ctx: Runtime, session: Session, work: Work) -> Verdict | None:
    """Automatic mail and delivery reports never open tickets; a report updates our outbound message."""
    message = work.message
    if message.delivery_report is not None:
        return record_delivery_report(ctx, session, work)
    if message.auto:
        return Verdict.drop(message.auto)
    if not (message.text.strip() or message.full_text.strip() or message.attachments or message.subject):
        return Verdict.drop("empty message")
    return None


def thread(ctx: Runtime, session: Session, work: Work) -> Verdict | None:
    """Find the ticket this message continues, from every signal the channel gave us."""
    message, now = work.message, ctx.clock()
    channel = get_channel(message.channel)
    if not channel.threads:  # e.g. staff asked for a new ticket
        return None
    threads.lock_sender(session, message.channel.value, message.sender)
    hints = message.thread
    candidates = threads.thread_candidates(
        session,
        channel=message.channel,
        sender=message.sender,
        message_ids=[*hints.in_reply_to, *hints.references],
        ticket_reference=hints.ticket_reference,
        external_ticket_id=message.external_ticket_id,
        since=now - timedelta(days=90),
        subject_matches=channel.subject_filter(message),
    )
    work.thread, work.candidates = match_thread(ctx, session, work, candidates), candidates
    return None


def match_thread(ctx: Runtime, session: Session, work: Work, candidates: list[ThreadCandidate]) -> ThreadMatch:
    """The channel weighs the candidates: email scores its headers and subject, chat the conversation window."""
    if not candidates:
        return ThreadMatch()
    context = ThreadContext(settings=ctx.settings, clock=ctx.clock, homes=lambda: _homes(ctx, session, work))
    return get_channel(work.message.channel).match_thread(work.message, candidates, context)


def _homes(ctx: Runtime, session: Session, work: Work) -> set[tuple[str, str]]:
    """The sender's registered (property, unit) tenancies."""
    tenancies = classifier_of(ctx, session, work).registry.tenants_for_sender(work.message.sender)
    return {(t.property, t.unit) for t in tenancies}


def classify(ctx: Runtime, session: Session, work: Work) -> Verdict | None:
    """Classify the message, then settle a threading guess by what it says and its topic (see `followup.py`); a
    message that joins a ticket keeps the ticket's classification. Only a link the message carries itself
    (In-Reply-To, a ticket number…) skips the classifier."""
    # lazy: the follow-up policy reads classifiers' lexicon (spaCy), which processes that only enqueue never need
    from intake.pipeline.followup import EXPLICIT_SIGNALS
    from intake.pipeline.followup_inputs import settle

    if work.thread.joins and work.thread.signal in EXPLICIT_SIGNALS:
        return None
    # lazy: classifiers loads spaCy, which processes that only enqueue (web, beat) never need
    from classifiers import ClassifyInput

    message = work.message
    work.classification = classifier_of(ctx, session, work).classify(
        ClassifyInput(
            id=str(work.raw.id),
            channel=message.channel.value,
            sender=message.sender,
            subject=message.subject,
            body=message.text or message.full_text,
            received_at=message.received_at,
        )
    )
    work.thread = settle(ctx, session, work)
    return None


def persist(ctx: Runtime, session: Session, work: Work) -> Verdict | None:
    """Open a ticket or append to the matched one; rate-limited senders are appended or held, never dropped."""
    _follow_merges(session, work)
    if work.thread.joins:
        number = work.thread.ticket_number
        ticket = threads.lock_for_follow_up(session, number)  # afresh: a merge may have committed since
        if ticket is not None and ticket.number != number:
            work.thread = work.thread.model_copy(
                update={
                    "ticket_number": ticket.number,
                    "evidence": [*work.thread.evidence, f"{number} was merged into {ticket.number}"],
                }
            )
        append_to_ticket(ctx, session, work, ticket)
        return None
    if work.message.extra.get("reaction"):  # a 👍 to no open conversation is not a new problem
        return Verdict.drop("reaction outside any open conversation")
    if work.message.channel != ChannelName.INTERNAL and over_rate_limit(ctx, session, work.message.sender):
        latest = ticket_store.latest_open_ticket(session, work.message.sender)
        if latest is None:
            return Verdict.hold(
                f"sender over {ctx.settings.limits.new_tickets_per_sender_per_hour} new tickets per hour"
            )
        work.thread = ThreadMatch(
            ticket_number=latest.number,
            sure=True,
            signal="rate-limit",
            evidence=["sender over the new-ticket rate limit: appended to the latest open ticket"],
        )
        append_to_ticket(ctx, session, work, latest)
        return None
    open_ticket(ctx, session, work)
    return None


def _follow_merges(session: Session, work: Work) -> None:
    """A match on a merged ticket means the ticket its messages went to (only merged candidates are looked up)."""
    number = work.thread.ticket_number
    if number is None or not any(c.ticket_number == number and c.status == "merged" for c in work.candidates):
        return
    into = ticket_store.merged_into(session, number)
    if into is not None:
        work.thread = work.thread.model_copy(
            update={"ticket_number": into, "evidence": [*work.thread.evidence, f"{number} was merged into {into}"]}
        )


def decide(ctx: Runtime, session: Session, work: Work) -> Verdict | None:
    """New tickets go through the assignment rules; a follow-up re-decides its ticket when it changes the facts
    and re-plans its SLA (see rules/README.md); the decision and its rule hits land in the timeline."""
    if work.is_new_ticket:
        apply_rules(ctx, session, work)
    elif work.ticket is not None:
        redecide(ctx, session, work)
    return None


def acknowledge(ctx: Runtime, session: Session, work: Work) -> Verdict | None:
    """New emailed tickets get an automatic acknowledgement (when enabled), within the reply policy."""
    if work.is_new_ticket and work.message.channel == ChannelName.EMAIL and ctx.settings.email.auto_acknowledge:
        row = queue_acknowledgement(session, work.ticket, work.message, ctx.settings, ctx.clock())
        if row is not None:
            work.after_commit.append(AfterCommit(Kind.SEND_OUTBOUND, (row.id,)))
    return None


STAGES = [
    ("parse", parse),
    ("guard", guard),
    ("thread", thread),
    ("classify", classify),
    ("persist", persist),
    ("decide", decide),
    ("acknowledge", acknowledge),
]
