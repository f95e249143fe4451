"""`intake worker` outlives its worker processes: one killed (SIGKILL) and the work goes on (#18 defect 10)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import select

from intake.actors import send_for_processing
from intake.core.models import ChannelName, RawInput
from intake.ingest import accept
from store.models import RawItem
from tests.waits import poll_until

pytestmark = pytest.mark.slow  # a real `intake worker`, killed and restarted


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc (parents before their children)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def mail(n: int) -> RawInput:
    data = (
        f"From: Tenant {n} <tenant{n}@example.org>\r\nTo: maintenance@intake.example\r\nSubject: Leak {n}\r\n"
        f"Message-ID: <leak-{n}@example.org>\r\n\r\nThe tap in flat {n} drips.\r\n"
    ).encode()
    return RawInput(
        channel=ChannelName.EMAIL, channel_id=f"<leak-{n}@example.org>", payload=data, content_type="message/rfc822"
    )


def test_a_killed_worker_process_is_replaced_and_the_work_goes_on(sqlite_db, intake_worker):
    worker = intake_worker(sqlite_db.url, processes=2, threads=1)

    def processed(raw_id: int, timeout: float) -> bool:
        """Whether the item is processed, once a worker process said so."""
        worker.output.wait_for(f"raw {raw_id} processed", timeout=timeout)
        with sqlite_db.session() as session:
            return session.execute(select(RawItem.state).where(RawItem.id == raw_id)).scalar() == "processed"

    try:
        [first] = accept(sqlite_db, [mail(1)], enqueue=False)
        send_for_processing([first.raw_id])
        assert processed(first.raw_id, timeout=90)  # the workers are up
        before = descendants(worker.process.pid)
        leaves = [pid for pid in before if not descendants(pid)]
        os.kill(leaves[-1], signal.SIGKILL)  # one worker process dies; Dramatiq then stops all of them
        # a process's end is announced only to its parent: polled, as /proc shows it
        poll_until(
            lambda: not set(before) & set(descendants(worker.process.pid)),
            timeout=60,
            what="every process of the first generation to end",
        )
        [second] = accept(sqlite_db, [mail(2)], enqueue=False)
        send_for_processing([second.raw_id])
        assert processed(second.raw_id, timeout=120)  # sent after a worker process was killed
        assert worker.process.poll() is None  # `intake worker` itself is still running
    finally:
        output = worker.stop()
    print(output)
    assert "starting them again" in output
