"""The edge: store raw items durably (deduplicated by channel id), then ask a worker to process them.

Every channel ends here. The database commit comes first; the broker message second: if the broker loses it,
the reconciler finds the item still `pending` and sends it again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pydantic import BaseModel

from intake.core.models import RawInput
from intake.core.settings import get_settings
from store.db import Database
from store.raw import PENDING, QUARANTINED, insert_raw, insert_raws

if TYPE_CHECKING:
    from intake.pipeline.process import ProcessOutcome

log = logging.getLogger(__name__)
RETRY_DELAY_MS = (
    1_000  # a failed item of a batch is tried again after 1 s, 2 s, 4 s … (as `process_inbound`'s own retries)
)


class AcceptResult(BaseModel):
    raw_id: int
    duplicate: bool


def accept(db: Database, raws: list[RawInput], *, enqueue: bool = True) -> list[AcceptResult]:
    """Store all `raws` in one transaction; new ones are sent to the worker after the commit."""
    with db.session() as session:
        pairs = insert_raws(session, raws) if len(raws) > 1 else [insert_raw(session, raw) for raw in raws]
        results = [AcceptResult(raw_id=raw_id, duplicate=not inserted) for raw_id, inserted in pairs]
    if enqueue:
        send_for_processing([r.raw_id for r in results if not r.duplicate], together=True, db=db)
    return results


def quarantine_input(db: Database, raw: RawInput, reason: str) -> int:
    """Keep input that cannot be processed (bad JSON, unknown shape) with the reason; returns its raw id."""
    with db.session() as session:
        raw_id, inserted = insert_raw(session, raw, state=QUARANTINED, error=reason)
    if inserted:
        log.info("raw %s quarantined on arrival: %s", raw_id, reason)
    return raw_id


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
    from intake.actors import process_inbound, process_inbound_batch

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


def broker_message_id(message) -> str:
    """The id the broker keeps the message under: Redis gives every enqueued copy its own."""
    return message.options.get("redis_message_id", message.message_id)


def remember_messages(db: Database, sent: dict[str, list[int]]) -> None:
    """The recording half: each item remembers the message it went in, and when (errors only logged)."""
    from intake.core.models import utcnow
    from store.raw import mark_enqueued

    try:
        with db.session() as session:
            mark_enqueued(session, sent, utcnow())
    except Exception as exc:  # only costs a possible second copy later, never an item
        log.warning("raw %s sent, but not marked as sent (%s)", [i for ids in sent.values() for i in ids][:20], exc)


def send_retries(outcomes: list[ProcessOutcome]) -> None:
    """Send again, each on its own and after a backoff, the items of a batch that failed with attempts left."""
    from intake.runtime import get_runtime

    for outcome in outcomes:
        if outcome.state == PENDING:
            send_for_processing(
                [outcome.raw_id], delay_ms=RETRY_DELAY_MS * 2 ** min(outcome.attempts - 1, 6), db=get_runtime().db
            )
