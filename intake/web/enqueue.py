"""Broker messages for webhook deliveries, sent off the request path.

A request is answered once its items are committed; the broker message is best-effort: the request waits for
it `broker.enqueue_wait_seconds` at most. A hung Redis (every call bounded by its timeouts) then costs each
reply that wait, not the broker's timeout, and the items whose message did not go are sent by the reconciler
(their raw items remember no message). One thread sends, in arrival order; after a failed send it skips
sending for a few seconds instead of making every waiting batch time out in turn.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from intake.actors import remember_messages, send_messages

log = logging.getLogger(__name__)
PAUSE_AFTER_FAILURE_SECONDS = 5.0


class Enqueuer:
    """Sends `process_inbound_batch` messages for committed items from a thread of its own."""

    def __init__(self, db) -> None:
        self.db = db
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="enqueue")
        self._skip_until = 0.0

    async def send(self, raw_ids: list[int], wait: float) -> None:
        """Hand `raw_ids` to the sending thread and wait until they went, or `wait` seconds at most."""
        loop = asyncio.get_running_loop()
        went = loop.create_future()
        self._executor.submit(self._send, raw_ids, loop, went)
        try:
            await asyncio.wait_for(went, wait)
        except TimeoutError:
            log.warning("raw %s stored; broker message still pending after %.1f s, answering", raw_ids[:20], wait)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _send(self, raw_ids: list[int], loop: asyncio.AbstractEventLoop, went: asyncio.Future) -> None:
        try:
            if time.monotonic() < self._skip_until:
                log.warning(
                    "raw %s stored, not enqueued (the broker failed moments ago); the reconciler will send them",
                    raw_ids[:20],
                )
                return
            sent = send_messages(raw_ids, together=True)
            if sum(len(ids) for ids in sent.values()) < len(raw_ids):
                self._skip_until = time.monotonic() + PAUSE_AFTER_FAILURE_SECONDS
            loop.call_soon_threadsafe(_settle, went)  # the reply need not wait for the bookkeeping below
            if sent:
                remember_messages(self.db, sent)
        finally:
            loop.call_soon_threadsafe(_settle, went)


def _settle(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)
