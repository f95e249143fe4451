"""`intake worker`'s supervision: Dramatiq's command line stops all its worker processes when one dies (and
exits), so `intake worker` runs it as a child and starts it again whenever it ends without being asked to.

A signal to `intake worker` (SIGTERM, SIGINT: a service manager stopping it) goes to the child once and ends the
loop. Once only: Dramatiq's command line takes a second signal as "kill the workers now", so the child runs in a
process group of its own (a terminal's Ctrl-C reaches `intake worker` alone) and a repeated signal is not passed
on; each worker thread finishes its item. Quick successive failures back off (1 s doubling to 30 s), so a broken
deployment does not spin.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time

log = logging.getLogger(__name__)
FIRST_DELAY, MAX_DELAY, STEADY_SECONDS = 1.0, 30.0, 60.0  # a child that ran this long resets the backoff


def supervise(args: list[str]) -> int:
    """Run `args` until a stop signal, starting it again after every other exit; returns its last exit code."""
    stop = threading.Event()
    child: subprocess.Popen | None = None

    def forward(signum, _frame) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            log.info("%s again: already stopping, not passed on (the workers finish their items)", name)
            return
        stop.set()
        if child is not None and child.poll() is None:
            log.info("%s: stopping the worker processes", name)
            child.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    delay = FIRST_DELAY
    while True:
        started = time.monotonic()
        child = subprocess.Popen(args, process_group=0)  # signals reach it only through `forward`
        code = child.wait()
        if stop.is_set():
            return code
        delay = FIRST_DELAY if time.monotonic() - started > STEADY_SECONDS else delay
        log.error("worker processes exited (code %s); starting them again in %.0f s", code, delay)
        if stop.wait(delay):
            return code
        delay = min(delay * 2, MAX_DELAY)
