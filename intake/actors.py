"""Dramatiq actors: thin wrappers that take ids, call a plain function, and let the database decide; and the
helpers that send them work (raw items to process, what the reconciler found lost, after-commit messages).

Importing this module declares the actors on the process's broker (Redis or in-process, see
`intake.broker`); `dramatiq intake.actors` (what `intake worker` runs) imports it in every worker process.
"""

from __future__ import annotations

import logging

import dramatiq

from assignment import actors_impl, routing
from intake import media, reconciler
from intake.broker import ensure_broker, register_actor
from intake.channels.whatsapp.media import MediaError
from intake.core.after_commit import AfterCommit, Kind, route, send_after_commit
from intake.core.models import utcnow
from intake.core.settings import get_settings
from intake.logs import adopt_handlers, level_of
from intake.pipeline.process import ProcessOutcome, process_batch, process_raw
from intake.runtime import Runtime, get_runtime
from outbound import service as outbound
from store.db import Database
from store.raw import PENDING, mark_enqueued

log = logging.getLogger(__name__)
adopt_handlers(
    level_of(get_settings().log_level)
)  # `intake worker` runs the dramatiq command line, whose log handlers are not ours
_settings = get_settings()
ensure_broker(_settings)
RETRY_DELAY_MS = 1_000  # a failed item of a batch is tried again after 1 s, 2 s, 4 s … (as `process_inbound`'s own)


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
    process_raw(get_runtime(), raw_id)


@register_actor
@dramatiq.actor(queue_name="inbound", max_retries=0, time_limit=_settings.pipeline.claim_seconds * 1000)
def process_inbound_batch(raw_ids: list[int]) -> None:
    """Process raw items the edge stored together; one that failed with attempts left is sent again on its
    own (`process_inbound`, with backoff), so it never holds back, or takes attempts from, the others."""
    send_retries(process_batch(get_runtime(), raw_ids))


@register_actor
@dramatiq.actor(queue_name="maintenance", max_retries=0)
def reconcile() -> None:
    """Re-send pending raw items whose broker message was lost (Redis keeps nothing on disk)."""
    reconcile_pending(get_runtime())


@register_actor
@dramatiq.actor(queue_name="outbound", max_retries=5, min_backoff=5_000, max_backoff=300_000)
def send_outbound(message_id: int) -> None:
    """Deliver one queued outbound message (idempotent: only a `queued` message is sent)."""
    outbound.send_outbound(get_runtime(), message_id)


@register_actor
@dramatiq.actor(queue_name="media", max_retries=5, min_backoff=10_000, max_backoff=600_000)
def fetch_attachment(attachment_id: int) -> None:
    """Download a chat attachment's media into the file store (idempotent)."""
    try:
        media.fetch_attachment(get_runtime(), attachment_id)
    except MediaError as exc:  # transient: one line in the log, not a traceback, and the broker's backoff
        log.warning("attachment %s not fetched yet, will retry: %s", attachment_id, exc)
        raise dramatiq.Retry(str(exc)) from None


@register_actor
@dramatiq.actor(queue_name="timers", max_retries=5, min_backoff=1_000, max_backoff=60_000)
def check_sla(ticket_id: str, kind: str, due_at: str) -> None:
    """A delayed SLA timer came due: fire it if the ticket still warrants it (idempotent)."""
    runtime = get_runtime()
    timer_id = actors_impl.find_timer(runtime, ticket_id, kind, due_at)
    if timer_id is not None:
        actors_impl.fire_timer(runtime, timer_id)


@register_actor
@dramatiq.actor(queue_name="timers", max_retries=5, min_backoff=1_000, max_backoff=60_000)
def escalate(timer_id: int) -> None:
    """Fire one stored SLA timer by id (what the sweeper re-sends); acts once however often it arrives."""
    actors_impl.fire_timer(get_runtime(), timer_id)


@register_actor
@dramatiq.actor(queue_name="timers", max_retries=3, min_backoff=1_000, max_backoff=60_000)
def assign_ticket(ticket_id: str) -> None:
    """Run the assignment rules for a ticket awaiting routing after triage (acts once; no-op otherwise)."""
    routing.assign_ticket(get_runtime(), ticket_id)


@register_actor
@dramatiq.actor(queue_name="maintenance", max_retries=0)
def sweep_timers() -> None:
    """Re-send SLA timers that are due but whose delayed message was lost."""
    actors_impl.sweep_due_timers(get_runtime())


@register_actor
@dramatiq.actor(queue_name="maintenance", max_retries=0)
def sweep_unrouted() -> None:
    """Re-send `assign_ticket` for triaged tickets whose routing message was lost."""
    routing.sweep_unrouted(get_runtime())


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


def reconcile_pending(ctx: Runtime) -> list[int]:
    """Send again what lost its broker message (see `intake.reconciler`): pending raw items, queued outbound
    messages and chat media still to fetch. Returns the raw items' ids."""
    lost = reconciler.find_lost(ctx)
    send_for_processing(lost.raw_ids, db=ctx.db)
    send_after_commit(
        [AfterCommit(Kind.SEND_OUTBOUND, (message_id,)) for message_id in lost.outbound_ids]
        + [AfterCommit(Kind.FETCH_ATTACHMENT, (attachment_id,)) for attachment_id in lost.attachment_ids],
        "reconcile",
    )
    return lost.raw_ids


def send_for_processing(
    raw_ids: list[int], *, together: bool = False, delay_ms: int | None = None, db: Database | None = None
) -> list[int]:
    """Enqueue processing; a broker failure is logged, not raised: the reconciler re-drives these ids.
    Returns the ids sent; with `db`, each item remembers its message (the reconciler sends no second copy
    while that one waits in the broker).

    `together`: items stored in one transaction go in messages of `pipeline.batch_size` ids, which a worker
    claims at once. Re-driven items (reconciler, retries) go one a message: one that crashed its worker must
    not take attempts from items that merely shared its batch."""
    sent = send_messages(raw_ids, together=together, delay_ms=delay_ms)
    if db is not None and sent:
        remember_messages(db, sent)
    return [raw_id for chunk in sent.values() for raw_id in chunk]


def send_messages(raw_ids: list[int], *, together: bool = False, delay_ms: int | None = None) -> dict[str, list[int]]:
    """The sending half of `send_for_processing`: {broker message id: raw ids} of the messages that went."""
    size = get_settings().pipeline.batch_size if together else 1
    options = {"delay": delay_ms} if delay_ms else {}
    sent: dict[str, list[int]] = {}
    for start in range(0, len(raw_ids), size):
        chunk = raw_ids[start : start + size]
        try:
            if len(chunk) == 1:
                message = process_inbound.send_with_options(args=(chunk[0],), **options)
            else:
                message = process_inbound_batch.send_with_options(args=(chunk,), **options)
            sent[broker_message_id(message)] = chunk
        except Exception as exc:  # broker down: the items are safe in the database
            log.warning("raw %s stored but not enqueued (%s); the reconciler will re-send them", chunk, exc)
    return sent


def broker_message_id(message: dramatiq.Message) -> str:
    """The id the broker keeps the message under: Redis gives every enqueued copy its own."""
    return message.options.get("redis_message_id", message.message_id)


def remember_messages(db: Database, sent: dict[str, list[int]]) -> None:
    """The recording half: each item remembers the message it went in, and when (errors only logged)."""
    try:
        with db.session() as session:
            mark_enqueued(session, sent, utcnow())
    except Exception as exc:  # only costs a possible second copy later, never an item
        log.warning("raw %s sent, but not marked as sent (%s)", [i for ids in sent.values() for i in ids][:20], exc)


def send_retries(outcomes: list[ProcessOutcome]) -> None:
    """Send again, each on its own and after a backoff, the items of a batch that failed with attempts left."""
    for outcome in outcomes:
        if outcome.state == PENDING:
            send_for_processing(
                [outcome.raw_id], delay_ms=RETRY_DELAY_MS * 2 ** min(outcome.attempts - 1, 6), db=get_runtime().db
            )
