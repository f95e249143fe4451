"""Waiting in tests on the event itself, never for a fixed time: a log line, a line a process writes.

`poll_until` is for the few things that announce nothing we can wait on (a process of ours ending, a server
that logs nothing when it starts to listen); it checks at a short interval up to a deadline and says what it
waited for when the deadline passes. Every wait has one generous deadline, so a hang fails instead of stalling.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TypeVar

T = TypeVar("T")


class Lines:
    """Lines as they arrive (from a log or a process), and waits for those a test expects."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()

    def add(self, line: str) -> None:
        with self.changed:
            self.lines.append(line)
            self.changed.notify_all()

    def count(self, text: str) -> int:
        with self.changed:
            return sum(text in line for line in self.lines)

    def text(self) -> str:
        with self.changed:
            return "\n".join(self.lines)

    def wait_until(self, reached: Callable[[list[str]], bool], what: str, timeout: float = 120) -> None:
        """Until `reached(lines so far)` holds; lines that came before the call count too."""
        with self.changed:
            if not self.changed.wait_for(lambda: reached(self.lines) or self.ended(), timeout):
                raise AssertionError(f"no {what} in {timeout} s; last lines: {self.lines[-8:]}")
            if not reached(self.lines):
                raise AssertionError(f"the output ended without {what}; last lines: {self.lines[-8:]}")

    def wait_for(self, text: str, count: int = 1, timeout: float = 120) -> None:
        """Until `count` lines contain `text`."""
        self.wait_until(
            lambda lines: sum(text in line for line in lines) >= count, f"{count} line(s) with {text!r}", timeout
        )

    async def wait_for_async(self, text: str, count: int = 1, timeout: float = 120) -> None:
        """`wait_for` from a coroutine: the event loop goes on meanwhile."""
        await asyncio.to_thread(self.wait_for, text, count, timeout)

    def ended(self) -> bool:
        """Whether no more lines can come (a log never ends; a process's output does)."""
        return False


class LogLines(Lines, logging.Handler):
    """A logger's lines, debug ones included, from every thread, as events a test waits on."""

    def __init__(self) -> None:
        Lines.__init__(self)
        logging.Handler.__init__(self, logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        self.add(record.getMessage())


@contextmanager
def log_lines(name: str) -> Iterator[LogLines]:
    """Collect the lines of logger `name` (and those below it) while the block runs."""
    logger, handler = logging.getLogger(name), LogLines()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


class OutputLines(Lines):
    """What a process writes to a pipe, read line by line by a thread of its own (the pipe never fills)."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__()
        self.reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._done = False
        self.reader.start()

    def _read(self, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self.add(raw.decode(errors="replace").rstrip("\n"))
        with self.changed:
            self._done = True
            self.changed.notify_all()

    def ended(self) -> bool:
        return self._done

    def all(self, timeout: float = 60) -> str:
        """The whole output, once the process closed it (call after the process ended)."""
        self.reader.join(timeout)
        if self.reader.is_alive():
            raise AssertionError(f"the output was not closed in {timeout} s")
        return self.text()


def output_of(process: subprocess.Popen) -> OutputLines:
    """Follow a process started with `stdout=subprocess.PIPE`."""
    assert process.stdout is not None, "start the process with stdout=subprocess.PIPE"
    return OutputLines(process.stdout)


def poll_until(check: Callable[[], T], what: str, timeout: float = 30, interval: float = 0.05) -> T:
    """Check until `check()` returns something true, and return it; only where nothing announces the change."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
