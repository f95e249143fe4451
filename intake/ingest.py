"""The edge: store raw items durably (deduplicated by channel id), then ask a worker to process them.

Every channel ends here. The database commit comes first; the broker message second: if the broker loses it,
the reconciler finds the item still `pending` and sends it again.
"""

from __future__ import annotations

import logging

from pydantic import BaseModel

from intake.core.models import RawInput
from store.db import Database
from store.raw import QUARANTINED, insert_raw, insert_raws

log = logging.getLogger(__name__)


class AcceptResult(BaseModel):
    raw_id: int
    duplicate: bool


def accept(db: Database, raws: list[RawInput], *, enqueue: bool = True) -> list[AcceptResult]:
    """Store all `raws` in one transaction; new ones are sent to the worker after the commit."""
    with db.session() as session:
        pairs = insert_raws(session, raws) if len(raws) > 1 else [insert_raw(session, raw) for raw in raws]
        results = [AcceptResult(raw_id=raw_id, duplicate=not inserted) for raw_id, inserted in pairs]
    if enqueue:
        # Importing the actors declares them on the broker the settings choose (and adopts log handlers): done on
        # the first send, so a process that only stores (or sets its broker first, as tests do) is not bound by it.
        from intake.actors import send_for_processing

        send_for_processing([r.raw_id for r in results if not r.duplicate], together=True, db=db)
    return results


def quarantine_input(db: Database, raw: RawInput, reason: str) -> int:
    """Keep input that cannot be processed (bad JSON, unknown shape) with the reason; returns its raw id."""
    with db.session() as session:
        raw_id, inserted = insert_raw(session, raw, state=QUARANTINED, error=reason)
    if inserted:
        log.info("raw %s quarantined on arrival: %s", raw_id, reason)
    return raw_id
