"""The IMAP poller: a pull channel that turns each configured mailbox's new mail into stored raw items.

`poll_once` is one pass (what `intake imap poll --once` and cron use); `run_mailbox` is the long-running
loop `intake run` starts per mailbox: a pass, then IMAP IDLE when the server offers it (re-issued before the
29-minute limit) or a sleep of `poll_interval_seconds`, and on any failure a reconnect with exponential
backoff and jitter. The blocking imapclient work runs in a thread of its own per mailbox (not the default
executor, whose few threads any number of mailboxes would exhaust), stopped through an event.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time

from imapclient import IMAPClient

from intake.channels.email.imap_session import MailboxError, close, connect
from intake.channels.email.imap_sync import PollResult, sync_folder
from intake.core.settings import MailboxSettings
from intake.runtime import Runtime

__all__ = ["MailboxError", "PollResult", "poll_once", "run_mailbox", "MailboxLoop", "backoff_delay"]

log = logging.getLogger(__name__)
IDLE_CHECK_SECONDS = 1.0  # how often an idling loop looks at its stop event
BACKOFF_BASE_SECONDS = 1.0


def poll_once(runtime: Runtime, mailbox: MailboxSettings) -> PollResult:
    """Connect, store every new message of the folder, mark what is stored, log out."""
    client = connect(mailbox)
    try:
        return sync_folder(client, runtime, mailbox)
    finally:
        close(client)


def backoff_delay(failures: int, cap: float, base: float = BACKOFF_BASE_SECONDS) -> float:
    """Seconds to wait after `failures` failures in a row: doubling up to `cap`, jittered to 50–100 %."""
    delay = min(cap, base * 2 ** max(failures - 1, 0))
    return random.uniform(delay / 2, delay)


class MailboxLoop:
    """The blocking loop of one mailbox; `run()` returns only once `stop` is set."""

    def __init__(self, runtime: Runtime, mailbox: MailboxSettings, stop: threading.Event) -> None:
        self.runtime, self.mailbox, self.stop = runtime, mailbox, stop
        self.failures = 0

    def run(self) -> None:
        name = self.mailbox.name
        while not self.stop.is_set():
            try:
                client = connect(self.mailbox)
            except Exception as exc:
                self._wait_after_failure(exc)
                continue
            error: Exception | None = None
            try:
                self._serve(client)
            except Exception as exc:
                error = exc
            finally:
                close(client)
            if error is not None:
                self._wait_after_failure(error)
        log.info("%s: poller stopped", name)

    def _serve(self, client: IMAPClient) -> None:
        use_idle = self.mailbox.use_idle and client.has_capability("IDLE")
        waiting = "waiting with IDLE" if use_idle else f"polling every {self.mailbox.poll_interval_seconds} s"
        log.info(
            "%s: connected to %s:%s, folder %r, %s",
            self.mailbox.name,
            self.mailbox.host,
            self.mailbox.port,
            self.mailbox.folder,
            waiting,
        )
        while not self.stop.is_set():
            result = sync_folder(client, self.runtime, self.mailbox)
            self.failures = 0
            if not use_idle:
                self.stop.wait(self.mailbox.poll_interval_seconds)
            elif not _has_newer(client, result.last_uid):
                self._idle(client)

    def _idle(self, client: IMAPClient) -> None:
        """IDLE until the folder changes, the IDLE timeout passes, or we are told to stop."""
        client.idle()
        log.debug("%s: idling", self.mailbox.name)  # the server accepted IDLE: new mail is announced from now on
        deadline = time.monotonic() + self.mailbox.idle_timeout_seconds
        try:
            while not self.stop.is_set() and time.monotonic() < deadline:
                started = time.monotonic()
                responses = client.idle_check(timeout=IDLE_CHECK_SECONDS)
                if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                    return
                if not responses and time.monotonic() - started < IDLE_CHECK_SECONDS / 2:
                    return  # woke early with nothing to read: the server closed; idle_done() will say so
        finally:
            client.idle_done()

    def _wait_after_failure(self, exc: Exception) -> None:
        self.failures += 1
        delay = backoff_delay(self.failures, self.mailbox.reconnect_max_seconds)
        level = logging.ERROR if isinstance(exc, MailboxError) or self.failures > 3 else logging.WARNING
        reason = str(exc).removeprefix(f"{self.mailbox.name}: ")
        log.log(
            level,
            "%s: %s: %s; reconnecting in %.1f s (failure %d in a row)",
            self.mailbox.name,
            type(exc).__name__,
            reason,
            delay,
            self.failures,
        )
        self.stop.wait(delay)


def _has_newer(client: IMAPClient, last_uid: int) -> bool:
    """Is there mail IDLE would not announce? Mail that arrived during the pass was announced to one of its
    commands, where imaplib filed the EXISTS away unread; the server will not repeat it to IDLE."""
    filed = client._imap.untagged_responses  # imapclient has no public view of these
    filed.pop("EXISTS", None)
    newer = any(uid > last_uid for uid in client.search(["UID", f"{last_uid + 1}:*"]))
    return newer or "EXISTS" in filed  # announced during the SEARCH, maybe after it was answered


async def run_mailbox(runtime: Runtime, mailbox: MailboxSettings) -> None:
    """Keep `mailbox` polled until cancelled; on cancellation the thread finishes its current step and stops."""
    stop = threading.Event()
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[None] = loop.create_future()

    def report(error: BaseException | None) -> None:
        if finished.done():
            return
        if error is None:
            finished.set_result(None)
        else:
            finished.set_exception(error)

    def target() -> None:
        error: BaseException | None = None
        try:
            MailboxLoop(runtime, mailbox, stop).run()
        except BaseException as exc:  # a bug: let the task fail loudly instead of dying silently
            error = exc
        try:
            loop.call_soon_threadsafe(report, error)
        except RuntimeError:  # the event loop is already closed
            pass

    thread = threading.Thread(target=target, name=f"imap:{mailbox.name}", daemon=True)
    thread.start()
    try:
        await asyncio.shield(finished)
    finally:
        stop.set()
        if not finished.done():
            await asyncio.wait([finished], timeout=mailbox.timeout_seconds + IDLE_CHECK_SECONDS)
        thread.join(0.5)  # it reported its end: only its last instructions are left
