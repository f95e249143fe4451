"""Processing one raw item, exactly once: claim, run the stages in one transaction, commit, then side effects.

- A worker first takes a lease on the item and counts the attempt, committed *before* the work: a worker
  that dies mid-item still used an attempt (after `pipeline.max_attempts` the item is quarantined instead of
  crashing workers forever), and a duplicate message meanwhile finds the lease taken and does nothing.
  A batch (one broker message for several items the edge stored together) claims them in one statement.
- The stages run under the raw item's lock (row lock on PostgreSQL, write lock on SQLite) and re-check its
  state, so a duplicate broker message finds the item processed and does nothing.
- A ticket message is unique per raw id: even a lost lock cannot make two tickets of one item.
"""

from __future__ import annotations

import logging
import traceback
from datetime import timedelta

from pydantic import BaseModel
from sqlalchemy import select

from assignment.errors import RulesError
from intake.channels.base import ParseError, RawRecord
from intake.core.after_commit import send_after_commit
from intake.core.errors import TransientError
from intake.core.models import ChannelName
from intake.pipeline import stages
from intake.pipeline.work import Verdict, Work
from intake.runtime import Runtime
from store import raw as raw_store
from store.models import RawItem

log = logging.getLogger(__name__)


class ProcessOutcome(BaseModel):
    raw_id: int
    state: str  # processed / quarantined / pending (will be retried) / skipped
    outcome: str
    ticket_number: str | None = None
    attempts: int = 0  # processing starts counted so far, when this call claimed the item


class RetryableFailure(TransientError):
    """Processing failed but attempts remain: the broker retries the message with backoff."""


def process_raw(ctx: Runtime, raw_id: int) -> ProcessOutcome:
    """Run the whole pipeline for one stored raw item; safe to call any number of times for the same id.
    Raises RetryableFailure when it failed with attempts left (the broker retries with backoff)."""
    outcome = process_batch(ctx, [raw_id])[0]
    if outcome.state == raw_store.PENDING:
        raise RetryableFailure(f"raw {raw_id}: {outcome.outcome}")
    return outcome


def process_batch(ctx: Runtime, raw_ids: list[int]) -> list[ProcessOutcome]:
    """Claim several raw items in one transaction, then run each in its own (one item's failure is its own).
    An item that failed with attempts left comes back with state `pending`, for the caller to send again."""
    settings = ctx.settings.pipeline
    broken = rules_unavailable(ctx)
    if broken is not None:  # not the items' fault: leave them pending, unclaimed, no attempt used
        log.error("raws %s left pending: %s", ", ".join(map(str, raw_ids)), broken)
        # attempts=7 only picks the longest re-send delay (send_retries): the fix needs a human, not a quick retry
        return [
            ProcessOutcome(raw_id=raw_id, state=raw_store.PENDING, outcome=broken, attempts=7) for raw_id in raw_ids
        ]
    outcomes: dict[int, ProcessOutcome] = {}
    # its own read, before the claim: the claim's write comes first in its transaction (SQLite's deferred
    # read-then-write may lose to another writer), and a rebuild must not hold SQLite's write lock
    classifier = _batch_classifier(ctx) if len(raw_ids) > 1 else None
    with ctx.db.session() as session:
        attempts = raw_store.claim_many(session, raw_ids, ctx.clock(), timedelta(seconds=settings.claim_seconds))
        for item in _items(session, [i for i in raw_ids if i not in attempts or attempts[i] > settings.max_attempts]):
            if item.id not in attempts:
                why = (
                    "being processed by another worker" if item.state == raw_store.PENDING else f"already {item.state}"
                )
                outcomes[item.id] = ProcessOutcome(raw_id=item.id, state="skipped", outcome=why)
                continue
            reason = f"gave up after {settings.max_attempts} attempts; last error: {item.error or 'the worker stopped mid-item'}"
            raw_store.quarantine(item, reason, ctx.clock())
            log.error("raw %s quarantined after %s attempts", item.id, settings.max_attempts)
            outcomes[item.id] = ProcessOutcome(raw_id=item.id, state=raw_store.QUARANTINED, outcome=reason)
    for raw_id in raw_ids:
        if raw_id not in outcomes:
            outcomes[raw_id] = (
                ProcessOutcome(raw_id=raw_id, state="skipped", outcome="already missing")
                if raw_id not in attempts
                else _process_claimed(ctx, raw_id, attempts[raw_id], classifier)
            )
    return [outcomes[raw_id] for raw_id in raw_ids]


def rules_unavailable(ctx: Runtime) -> str | None:
    """Why no item can be decided now, or None: the rules and classifier files have no good version in this
    process yet (a broken file with a last good version is no reason: that version stays in force). Cheap once
    loaded. A broken rules file must never quarantine mail, so such items wait for the fix instead."""
    # lazy: classifiers loads spaCy, which processes that only enqueue (web, beat) never need
    from classifiers.errors import ClassifierConfigError

    try:
        ctx.rules().current()
        ctx.classifier_rules().current()
    except (RulesError, ClassifierConfigError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"rules invalid, no last good version: {first}"
    return None


def _batch_classifier(ctx: Runtime):
    """The classifier for the registry version current at the claim, shared by the batch's items; None when
    it cannot be built now (each item then tries on its own and fails on its own)."""
    try:
        return ctx.classifier()
    except Exception as exc:
        log.warning("classifier not built for the batch (%s); items will try on their own", exc)
        return None


def _items(session, raw_ids: list[int]) -> list[RawItem]:
    return list(session.execute(select(RawItem).where(RawItem.id.in_(raw_ids))).scalars()) if raw_ids else []


def _process_claimed(ctx: Runtime, raw_id: int, attempts: int, classifier=None) -> ProcessOutcome:
    try:
        return _run_stages(ctx, raw_id, classifier).model_copy(update={"attempts": attempts})
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        with ctx.db.locked() as session:  # read-then-write: on SQLite a deferred one may lose to another writer
            state = raw_store.mark_failed(
                session,
                raw_id,
                error + "\n" + traceback.format_exc(limit=8),
                ctx.settings.pipeline.max_attempts,
                ctx.clock(),
            )
        if state == raw_store.QUARANTINED:
            log.error("raw %s quarantined: %s", raw_id, error)
        else:
            log.warning("raw %s failed (%s); will retry", raw_id, error)
        return ProcessOutcome(raw_id=raw_id, state=state, outcome=error, attempts=attempts)


def _run_stages(ctx: Runtime, raw_id: int, classifier=None) -> ProcessOutcome:
    with ctx.db.locked() as session:
        item = raw_store.lock_raw(session, raw_id)
        if item is None or item.state != raw_store.PENDING:
            return ProcessOutcome(raw_id=raw_id, state="skipped", outcome=f"already {item.state if item else 'gone'}")
        work = Work(
            raw=RawRecord(
                id=item.id,
                channel=ChannelName(item.channel),
                channel_id=item.channel_id,
                payload=item.payload,
                content_type=item.content_type,
                source=item.source,
                received_at=item.received_at,
            ),
            classifier=classifier,
        )
        if classifier is not None:
            session.info["registry"] = classifier.registry
        verdict = _run(ctx, session, work)
        now = ctx.clock()
        if verdict is not None and verdict.quarantine:
            raw_store.quarantine(item, verdict.outcome, now)
            state, outcome = raw_store.QUARANTINED, verdict.outcome
        else:
            outcome = verdict.outcome if verdict else work.outcome
            raw_store.mark_processed(item, outcome, now, work.ticket.id if work.ticket is not None else None)
            state = raw_store.PROCESSED
        number = work.ticket.number if work.ticket is not None else None
    _after_commit(work)
    log.info("raw %s %s: %s", raw_id, state, outcome)
    return ProcessOutcome(raw_id=raw_id, state=state, outcome=outcome, ticket_number=number)


def _run(ctx: Runtime, session, work: Work) -> Verdict | None:
    for name, stage in stages.STAGES:
        try:
            verdict = stage(ctx, session, work)
        except ParseError as exc:
            return Verdict.hold(f"unparseable: {exc}")
        if verdict is not None:
            log.debug("raw %s ended at stage %s: %s", work.raw.id, name, verdict.outcome)
            return verdict
    return None


def _after_commit(work: Work) -> None:
    """Send the broker messages the stages asked for, now that what they refer to is committed (and write
    the log lines they left for then: a rolled-back attempt must not have logged them)."""
    for call in work.on_commit:
        call()
    send_after_commit(work.after_commit, work.ticket.number if work.ticket else "?")
