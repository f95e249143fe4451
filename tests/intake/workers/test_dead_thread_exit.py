"""A worker process whose thread dies of an exception outside its actor exits, so it is started again and the
broker re-delivers the messages it held (see intake.broker.ExitOnDeadThread)."""

from __future__ import annotations

import multiprocessing
import threading

from intake.broker import DEAD_THREAD_EXIT, ExitOnDeadThread


def _worker_process_with_a_dying_thread() -> None:
    ExitOnDeadThread().after_worker_boot(None, None)  # what a `dramatiq` worker process does at boot
    thread = threading.Thread(target=lambda: 1 / 0, name="dying-worker-thread")
    thread.start()
    thread.join()
    threading.Event().wait(30)  # the hook must end the process long before this


def test_a_worker_process_exits_when_a_thread_dies():
    process = multiprocessing.get_context("spawn").Process(target=_worker_process_with_a_dying_thread)
    process.start()
    process.join(timeout=60)
    assert process.exitcode == DEAD_THREAD_EXIT


def test_outside_a_worker_process_a_dying_thread_is_only_reported():
    before = threading.excepthook
    ExitOnDeadThread().after_worker_boot(None, None)  # pytest's own process: not a multiprocessing child
    assert threading.excepthook is before
