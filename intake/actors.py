"""Dramatiq actors: thin wrappers that take ids, call a plain function, and let the database decide.

Importing this module declares the actors on the process's broker (Redis or in-process, see
`intake.broker`); `dramatiq intake.actors` (what `intake worker` runs) imports it in every worker process.
"""

from __future__ import annotations

import logging

import dramatiq

from intake.broker import ensure_broker, register_actor
from intake.core.after_commit import Kind, route
from intake.core.settings import get_settings
from intake.logs import adopt_handlers
from intake.runtime import get_runtime

log = logging.getLogger(__name__)
adopt_handlers()  # `intake worker` runs the dramatiq command line, whose log handlers are not ours
_settings = get_settings()
ensure_broker(_settings)


@register_actor
@dramatiq.actor(
    queue_name="inbound",
    max_retries=max(_settings.pipeline.max_attempts - 1, 0),
    min_backoff=1_000,
    max_backoff=60_000,
    time_limit=_settings.pipeline.claim_seconds * 1000,  # never outlive the lease on the item
)
def process_inbound(raw_id: int) -> None:
    """Process one stored raw item (idempotent: a duplicate message finds it processed)."""
    from intake.pipeline.process import process_raw

    process_raw(get_runtime(), raw_id)


@register_actor
@dramatiq.actor(queue_name="inbound", max_retries=0, time_limit=_settings.pipeline.claim_seconds * 1000)
def process_inbound_batch(raw_ids: list[int]) -> None:
    """Process raw items the edge stored together; one that failed with attempts left is sent again on its
    own (`process_inbound`, with backoff), so it never holds back, or takes attempts from, the others."""
    from intake.ingest import send_retries
    from intake.pipeline.process import process_batch

    send_retries(process_batch(get_runtime(), raw_ids))


@register_actor
@dramatiq.actor(queue_name="maintenance", max_retries=0)
def reconcile() -> None:
    """Re-send pending raw items whose broker message was lost (Redis keeps nothing on disk)."""
    from intake.reconciler import reconcile_pending

    reconcile_pending(get_runtime())


@register_actor
@dramatiq.actor(queue_name="outbound", max_retries=5, min_backoff=5_000, max_backoff=300_000)
def send_outbound(message_id: int) -> None:
    """Deliver one queued outbound message (idempotent: only a `queued` message is sent)."""
    from outbound.service import send_outbound as send

    send(get_runtime(), message_id)


@register_actor
@dramatiq.actor(queue_name="media", max_retries=5, min_backoff=10_000, max_backoff=600_000)
def fetch_attachment(attachment_id: int) -> None:
    """Download a chat attachment's media into the file store (idempotent)."""
    from intake.channels.whatsapp.media import MediaError
    from intake.media import fetch_attachment as fetch

    try:
        fetch(get_runtime(), attachment_id)
    except MediaError as exc:  # transient: one line in the log, not a traceback, and the broker's backoff
        log.warning("attachment %s not fetched yet, will retry: %s", attachment_id, exc)
        raise dramatiq.Retry(str(exc)) from None


@register_actor
@dramatiq.actor(queue_name="timers", max_retries=5, min_backoff=1_000, max_backoff=60_000)
def check_sla(ticket_id: str, kind: str, due_at: str) -> None:
    """A delayed SLA timer came due: fire it if the ticket still warrants it (idempotent)."""
    from assignment.actors_impl import find_timer, fire_timer

    runtime = get_runtime()
    timer_id = find_timer(runtime, ticket_id, kind, due_at)
    if timer_id is not None:
        fire_timer(runtime, timer_id)


@register_actor
@dramatiq.actor(queue_name="timers", max_retries=5, min_backoff=1_000, max_backoff=60_000)
def escalate(timer_id: int) -> None:
    """Fire one stored SLA timer by id (what the sweeper re-sends); acts once however often it arrives."""
    from assignment.actors_impl import fire_timer

    fire_timer(get_runtime(), timer_id)


@register_actor
@dramatiq.actor(queue_name="timers", max_retries=3, min_backoff=1_000, max_backoff=60_000)
def assign_ticket(ticket_id: str) -> None:
    """Run the assignment rules for a ticket awaiting routing after triage (acts once; no-op otherwise)."""
    from assignment.routing import assign_ticket as assign

    assign(get_runtime(), ticket_id)


@register_actor
@dramatiq.actor(queue_name="maintenance", max_retries=0)
def sweep_timers() -> None:
    """Re-send SLA timers that are due but whose delayed message was lost."""
    from assignment.actors_impl import sweep_due_timers

    sweep_due_timers(get_runtime())


@register_actor
@dramatiq.actor(queue_name="maintenance", max_retries=0)
def sweep_unrouted() -> None:
    """Re-send `assign_ticket` for triaged tickets whose routing message was lost."""
    from assignment.routing import sweep_unrouted as sweep

    sweep(get_runtime())


# Every after-commit message kind and its actor, checked now: a process missing one must not start.
route(
    {
        Kind.SEND_OUTBOUND: send_outbound,
        Kind.FETCH_ATTACHMENT: fetch_attachment,
        Kind.CHECK_SLA: check_sla,
        Kind.ESCALATE: escalate,
        Kind.ASSIGN_TICKET: assign_ticket,
    }
)
