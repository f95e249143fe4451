"""Where a worker's CPU goes, per mail, and what the email benchmark's 25 % target leaves it.

    .venv/bin/python benchmarks/bench_pipeline_split.py [--messages 1000] [--batch 10]

The mails of `bench_email_ingest.py` are stored in a private PostgreSQL database, then processed in this
process as a worker would (`process_batch`, batches of `--batch`, the heap frozen after the warm-up as a
worker does at boot). CPU time (`time.process_time`) is split into: the parse stage, classification (new
tickets, follow-ups' urgency, re-classification), the database client (everything inside SQLAlchemy's
`Session` and below: statements, ORM loading and flushes, psycopg) and the rest (threading, rules, SLA,
timeline). PostgreSQL's backends are measured from /proc. Bare `BytesParser(policy=default)` parsing of the
same mails is the baseline, as in the ingest benchmark.

The budget: on 2 cores shared by the workers, PostgreSQL and the edge, 25 % of the bare-parse rate allows
`2 cores x busy / (0.25 x bare-parse rate)` of CPU a mail for all of them; `--busy` is the share of the
machine a run keeps busy (about 0.9 measured with /proc/stat). The edge's share is taken as `--edge-ms`
(0.3-0.6 ms measured by the ingest benchmark). PostgreSQL serves one client here and stores no mail while
timed, so it works less than in the ingest run and the budget printed is the generous one. Needs PostgreSQL
and Redis, as the ingest benchmark does; prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import functools
import gc
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench_email_ingest import Stack, bare_parse_rate, load_mails, process_cpu

# `Session` methods through which the pipeline reaches the database; time in one, however deep, counts once
DATABASE_CALLS = ("execute", "scalar", "scalars", "get", "flush", "commit", "rollback", "connection", "close")


class CpuTally:
    """Process CPU per named part, from wrappers around functions; nested calls of one part count once."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._depth: dict[str, int] = defaultdict(int)

    def wrap(self, owner, name: str, part: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            if self._depth[part]:
                return original(*args, **kwargs)
            self._depth[part] += 1
            started = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[part] += time.process_time() - started
                self._depth[part] -= 1

        setattr(owner, name, timed)


def instrument(tally: CpuTally) -> None:
    from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

    from classifiers.classifier import Classifier
    from intake.pipeline import stages

    for name in DATABASE_CALLS:
        tally.wrap(Session, name, "database client")
    tally.wrap(sessionmaker, "__call__", "database client")
    tally.wrap(SessionTransaction, "commit", "database client")  # `with session.begin()` commits through it
    tally.wrap(Classifier, "classify", "classification")
    tally.wrap(stages, "parse", "parse stage")
    stages.STAGES = [(name, getattr(stages, name)) for name, _ in stages.STAGES]  # the list holds the originals


def backends_cpu(stack: Stack) -> float:
    rows = stack.admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (stack.name,)).fetchall()
    return sum(process_cpu(pid) for (pid,) in rows)


def store_pending(stack: Stack, mails: list[bytes], label: str) -> list[int]:
    """Store mails raw as the edge does, without sending them to any worker; their raw ids in order."""
    from intake.channels.email.files import email_raw
    from intake.ingest import accept

    ids = []
    for start in range(0, len(mails), 100):
        chunk = mails[start : start + 100]
        results = accept(
            stack.runtime.db, [email_raw(data, f"{label}:{start + n}") for n, data in enumerate(chunk)], enqueue=False
        )
        ids += [result.raw_id for result in results]
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=10, help="raw items per process_batch call")
    parser.add_argument("--busy", type=float, default=0.9, help="share of the 2 cores a run keeps busy")
    parser.add_argument("--edge-ms", type=float, default=0.4, help="the edge's CPU a mail, from the ingest benchmark")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="intake-bench-") as folder:
        stack = Stack(0, 1, Path(folder))
        try:
            from intake.pipeline.process import process_batch

            process_batch(stack.runtime, store_pending(stack, load_mails(1, "warm-up"), "warm-up"))
            gc.collect()
            gc.freeze()  # as SettledHeap does at worker boot
            mails = load_mails(args.messages, stack.run)
            ids = store_pending(stack, mails, "split")
            bare = bare_parse_rate(load_mails(args.messages, "parse"))
            tally = CpuTally()
            instrument(tally)
            cpu_before, pg_before = time.process_time(), backends_cpu(stack)
            for start in range(0, len(ids), args.batch):
                process_batch(stack.runtime, ids[start : start + args.batch])
            worker = (time.process_time() - cpu_before) * 1000 / len(ids)
            postgresql = (backends_cpu(stack) - pg_before) * 1000 / len(ids)
        finally:
            gc.unfreeze()
            stack.close()

    parts = {part: seconds * 1000 / len(ids) for part, seconds in tally.seconds.items()}
    parts["rest"] = worker - sum(parts.values())
    print(f"one worker in-process, {len(ids)} mails, batches of {args.batch}, PostgreSQL:")
    print(f"  worker CPU {worker:.2f} ms a mail: " + ", ".join(f"{part} {ms:.2f}" for part, ms in parts.items()))
    print(
        f"  PostgreSQL backends {postgresql:.2f} ms a mail; "
        f"bare stdlib parse {1000 / bare:.2f} ms a mail ({bare:.0f}/s)"
    )
    budget = 2 * args.busy * 1000 / (0.25 * bare)
    left = budget - postgresql - args.edge_ms
    print(
        f"  25 % of bare parsing leaves {budget:.2f} ms of CPU a mail on 2 cores at {args.busy:.0%} busy; less "
        f"PostgreSQL and the edge ({args.edge_ms:.2f} ms), {left:.2f} ms for the worker"
    )
    without = worker - parts.get("database client", 0)
    print(
        f"  the worker without its database client: {without:.2f} ms, {abs(left - without):.2f} ms "
        f"{'under' if without <= left else 'over'} that budget"
    )


if __name__ == "__main__":
    main()
