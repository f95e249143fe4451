"""Group commit for webhook deliveries: requests that arrive together are stored in one transaction.

A durable commit costs one disk flush; paying it once per request caps a web process at a few hundred
deliveries a second. Here each request hands its items to `AcceptBatcher.accept` and waits; a few
committer tasks take everything waiting, call `intake.ingest.accept` once (in a thread), and wake each
request with its own results. A request is still answered only after its items are committed; their broker
message is best-effort and bounded (`intake.web.enqueue`). If a batch fails, its requests are retried one by
one, so one bad delivery cannot fail its neighbours.
"""

from __future__ import annotations

import asyncio
import logging

from intake.core.models import RawInput
from intake.ingest import AcceptResult, accept
from intake.logs import describe_error
from intake.web.enqueue import Enqueuer

log = logging.getLogger(__name__)


class AcceptBatcher:
    """Collects `accept` calls from concurrent requests into shared transactions."""

    def __init__(self, db, *, committers: int | None = None, max_items: int = 500, enqueue_wait: float = 0.5) -> None:
        self.db = db
        self.enqueuer = Enqueuer(db)
        self.enqueue_wait = enqueue_wait
        self._answering: set[asyncio.Task] = set()
        # SQLite has one writer at a time; PostgreSQL overlaps flushes of a few transactions.
        self.committers = committers or (1 if getattr(db, "is_sqlite", False) else 2)
        self.max_items = max_items
        self._waiting: list[tuple[list[RawInput], asyncio.Future]] = []
        self._wakeup: asyncio.Event | None = None
        self._tasks: list[asyncio.Task] = []

    async def accept(self, raws: list[RawInput]) -> list[AcceptResult]:
        """Store `raws` durably (shared transaction) and return their results, in order."""
        if not raws:
            return []
        self._start()
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((raws, future))
        self._wakeup.set()
        return await future

    async def close(self) -> None:
        """Stop the committers once nothing is waiting (app shutdown)."""
        while self._waiting:
            await asyncio.sleep(0.01)
        await asyncio.gather(*self._answering, return_exceptions=True)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self.enqueuer.close()

    def _start(self) -> None:
        if self._tasks:
            return
        self._wakeup = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._commit_loop(), name=f"accept-committer-{n}") for n in range(self.committers)
        ]

    async def _commit_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            batch = self._take()
            if not batch:
                self._wakeup.clear()
                continue
            try:
                outcomes = await asyncio.to_thread(_commit, self.db, batch)
            except BaseException as exc:  # cancelled mid-commit: the waiting requests must not hang
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("shutting down"))
                raise
            task = asyncio.create_task(self._answer(batch, outcomes))
            self._answering.add(task)  # the loop goes on committing while this batch's message is sent
            task.add_done_callback(self._answering.discard)

    async def _answer(self, batch, outcomes: list) -> None:
        """Send the new items' broker message (bounded wait), then wake each request with its results."""
        new_ids = [
            r.raw_id for outcome in outcomes if not isinstance(outcome, Exception) for r in outcome if not r.duplicate
        ]
        try:
            if new_ids:
                await self.enqueuer.send(new_ids, self.enqueue_wait)
        except Exception as exc:  # e.g. its thread shut down: the items are stored, the reconciler sends them
            log.warning(
                "raw %s stored, not enqueued (%s); the reconciler will send them", new_ids[:20], describe_error(exc)
            )
        finally:  # whatever happened to the message, every waiting request is answered
            for (_, future), outcome in zip(batch, outcomes):
                if future.done():
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    def _take(self) -> list[tuple[list[RawInput], asyncio.Future]]:
        batch, size = [], 0
        while self._waiting and (not batch or size + len(self._waiting[0][0]) <= self.max_items):
            raws, future = self._waiting.pop(0)
            batch.append((raws, future))
            size += len(raws)
        if not self._waiting:
            self._wakeup.clear()
        return batch


def _commit(db, batch: list[tuple[list[RawInput], asyncio.Future]]) -> list[list[AcceptResult] | Exception]:
    """One transaction for the whole batch; on failure, one transaction per request."""
    flat = [raw for raws, _ in batch for raw in raws]
    try:
        results = accept(db, flat, enqueue=False)  # the broker message goes after the commit, off this thread
    except Exception as exc:
        if len(batch) == 1:
            return [exc]
        log.warning("batch of %d deliveries failed (%s); storing them one by one", len(batch), describe_error(exc))
        return [_commit_one(db, raws) for raws, _ in batch]
    outcomes, start = [], 0
    for raws, _ in batch:
        outcomes.append(results[start : start + len(raws)])
        start += len(raws)
    return outcomes


def _commit_one(db, raws: list[RawInput]) -> list[AcceptResult] | Exception:
    try:
        return accept(db, raws, enqueue=False)
    except Exception as exc:
        return exc
