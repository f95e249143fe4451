"""Email intake end to end: mails/second from a maildir and from a real Dovecot, through the whole pipeline
into PostgreSQL, beside bare stdlib `email` parsing of the same mails in the same run.

    .venv/bin/python benchmarks/bench_email_ingest.py [--messages 1000] [--workers 2] [--threads 1]

Mails: `samples/email` and the zammad-mail corpus, cycled to N, each given a unique Message-ID so none is
deduplicated. The pipeline: the edge stores each mail raw (maildir reader or the IMAP poller, which also
flags it \\Seen), Dramatiq sends it over Redis to `--workers` worker processes, which parse, guard, thread,
classify, decide and persist a ticket in a private PostgreSQL database. The clock runs from the first mail
read until the last raw item is no longer pending. The baseline is `BytesParser(policy=default).parsebytes`
of the same bytes in this process, just before and just after each run, averaged: a shared machine's speed
drifts (bare parsing seen here from 320 to 590 mails/s within an hour). Target: the pipeline sustains
>= 25 % of the bare-parse rate with 2 workers. Each run also prints where its CPU went while timed, in ms a
mail: workers, PostgreSQL, the edge (Linux /proc). Needs PostgreSQL, Redis and dovecot (as the test suite
does); prints figures, asserts nothing.

One thread per worker process: the work is CPU-bound, and on 2 cores a second thread per process measured
~10 % slower (GIL hand-offs: 2 x 2 threads 11.1-11.7 % of bare parsing, 2 x 1 12.4-12.9 %, same day).
"""

from __future__ import annotations

import argparse
import mailbox
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from email import policy
from email.parser import BytesParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPORA = ROOT.parent / "shared" / "corpora"
PG_ADMIN_URL = os.environ.get("INTAKE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("INTAKE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
MESSAGE_ID = re.compile(rb"^message-id:[^\n]*\n(?:[ \t][^\n]*\n)*", re.IGNORECASE | re.MULTILINE)


def load_mails(count: int, run: str) -> list[bytes]:
    sources = sorted((ROOT / "samples" / "email").glob("*.eml")) + sorted((CORPORA / "zammad-mail").glob("*.box"))
    originals = [path.read_bytes() for path in sources]
    mails = []
    for n in range(count):
        data = originals[n % len(originals)]
        head, sep, body = data.partition(b"\r\n\r\n") if b"\r\n\r\n" in data else data.partition(b"\n\n")
        newline = b"\r\n" if sep == b"\r\n\r\n" else b"\n"
        head = MESSAGE_ID.sub(b"", head.replace(b"\r\n", b"\n") + b"\n").rstrip(b"\n").replace(b"\n", newline)
        mails.append(b"Message-ID: <bench-" + f"{n}.{run}".encode() + b"@bench.invalid>" + newline + head + sep + body)
    return mails


def bare_parse_rate(mails: list[bytes], rounds: int = 3) -> float:
    parser = BytesParser(policy=policy.default)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for data in mails:
            parser.parsebytes(data)
        best = min(best, time.perf_counter() - started)
    return len(mails) / best


class Stack:
    """A private PostgreSQL database, a Redis namespace and worker processes for one measurement."""

    def __init__(self, workers: int, threads: int, tmp: Path) -> None:
        import psycopg

        self.run = uuid.uuid4().hex[:8]
        self.name = f"intake_bench_{self.run}"
        self.admin = psycopg.connect(PG_ADMIN_URL, autocommit=True)
        self.admin.execute(f'CREATE DATABASE "{self.name}"')
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        self.env = os.environ | {
            "INTAKE_DATABASE_URL": f"{base}/{self.name}",
            "INTAKE_REDIS_URL": REDIS_URL,
            "INTAKE_REDIS_NAMESPACE": f"intake-bench-{self.run}",
            "INTAKE_DATA_DIR": str(tmp / "data"),
            "INTAKE_RULES_DIR": str(ROOT / "rules"),
            "INTAKE_LOG_LEVEL": "WARNING",
            # every mail is a different request here: the per-sender flood guard would turn most into drops
            "INTAKE_LIMITS__NEW_TICKETS_PER_SENDER_PER_HOUR": "1000000",
        }
        os.environ.update(self.env)  # this process's settings (the edge) match the workers'
        from intake.cli.common import open_runtime
        from intake.core.settings import get_settings

        get_settings.cache_clear()
        self.runtime = open_runtime(get_settings())  # migrates the fresh database
        subprocess.run(
            [sys.executable, "-m", "intake.cli.main", "registry", "import", str(ROOT / "samples" / "registry.yaml")],
            env=self.env,
            check=True,
            capture_output=True,
        )
        from intake import actors  # noqa: F401  (declares the actors on the Redis broker)

        self.workers = (
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dramatiq",
                    "intake.actors",
                    "--processes",
                    str(workers),
                    "--threads",
                    str(threads),
                ],
                env=self.env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=open(tmp / "workers.log", "wb"),
            )
            if workers
            else None
        )  # none: the caller runs the pipeline in its own process

    def pending(self) -> int:
        from sqlalchemy import func, select

        from store.models import RawItem

        with self.runtime.db.session() as session:
            pending = select(func.count()).select_from(RawItem).where(RawItem.state == "pending")
            return session.execute(pending).scalar_one()

    def wait_processed(self, timeout: float = 1800) -> None:
        deadline = time.monotonic() + timeout
        while self.pending():
            if time.monotonic() > deadline:
                raise SystemExit("timed out waiting for the workers; see workers.log")
            time.sleep(0.05)

    def outcomes(self) -> dict[str, int]:
        from sqlalchemy import func, select

        from store.models import RawItem, Ticket

        with self.runtime.db.session() as session:
            states = dict(session.execute(select(RawItem.state, func.count()).group_by(RawItem.state)).all())
            states["tickets"] = session.execute(select(func.count()).select_from(Ticket)).scalar_one()
            errors = session.execute(select(RawItem.error).where(RawItem.state == "quarantined")).scalars()
            reasons = Counter((error or "").splitlines()[0][:100] if error else "?" for error in errors)
        return states, dict(reasons.most_common(5))

    def close(self) -> None:
        import redis

        if self.workers is not None:
            self.workers.terminate()
            self.workers.wait(30)
        self.runtime.db.dispose()
        self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"intake-bench-{self.run}*"):
            client.delete(key)


def process_cpu(pid: int) -> float:
    """Seconds of CPU (user + system) a process used so far; 0 when it is gone (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuSplit:
    """Where a run's CPU went while its clock ran: the worker processes, PostgreSQL's backends for the bench
    database, and this process (the edge: maildir reader or IMAP poller; Dovecot itself is not counted). On 2
    cores they all share the machine, so their sum per mail, not the workers alone, sets the rate."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.before = self.sample()

    def pids(self) -> dict[str, list[int]]:
        children = Path(f"/proc/{self.stack.workers.pid}/task/{self.stack.workers.pid}/children")
        workers = [self.stack.workers.pid, *map(int, children.read_text().split())] if children.exists() else []
        backends = [
            pid
            for (pid,) in self.stack.admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.stack.name,)
            ).fetchall()
        ]
        return {"workers": workers, "postgresql": backends}

    def sample(self) -> dict[str, dict[int, float]]:
        found = {group: {pid: process_cpu(pid) for pid in pids} for group, pids in self.pids().items()}
        return found | {"edge": {os.getpid(): time.process_time()}}

    def per_mail(self, mails: int) -> dict[str, float]:
        """ms of CPU a mail per group since this split was started (a backend that started meanwhile counts whole)."""
        after = self.sample()
        return {
            group: 1000 * sum(cpu - self.before[group].get(pid, 0.0) for pid, cpu in pids.items()) / mails
            for group, pids in after.items()
        }


def warm_up(stack: Stack, tmp: Path) -> None:
    """One mail through the workers first, so spaCy loading and connection set-up are not timed."""
    from intake.channels.email.files import email_raw
    from intake.ingest import accept

    accept(stack.runtime.db, [email_raw(load_mails(1, "warm-up")[0], "bench:warm-up")])
    stack.wait_processed(timeout=300)


def through_maildir(stack: Stack, mails: list[bytes], tmp: Path) -> tuple[float, dict[str, float]]:
    from intake.ingest import accept
    from intake.sources import read_paths

    box = mailbox.Maildir(tmp / "maildir", create=True)
    for data in mails:
        box.add(data)
    started, split = time.perf_counter(), CpuSplit(stack)
    batch = []
    for item in read_paths([tmp / "maildir"]):
        batch.append(item.raw)
        if len(batch) == 100:
            accept(stack.runtime.db, batch)
            batch = []
    accept(stack.runtime.db, batch)
    stored = time.perf_counter()
    stack.wait_processed()
    done, cpu = time.perf_counter(), split.per_mail(len(mails))
    print(f"  maildir: stored at {len(mails) / (stored - started):7.0f} mails/s")
    return len(mails) / (done - started), cpu


def through_dovecot(stack: Stack, mails: list[bytes], tmp: Path) -> tuple[float, dict[str, float]]:
    from intake.channels.email.imap import poll_once
    from intake.core.settings import MailboxSettings
    from tests.dovecot import Dovecot, require_dovecot

    server = Dovecot(require_dovecot(), Path(tempfile.mkdtemp(prefix="intake-dovecot-")))
    server.start()
    try:
        user, password = server.add_user()
        client = server.client(user)
        for data in mails:
            client.append("INBOX", data)
        client.logout()
        account = MailboxSettings(
            name="bench",
            host=server.host,
            port=server.port,
            security="none",
            username=user,
            password=password,
            batch_size=100,
        )
        started, split = time.perf_counter(), CpuSplit(stack)
        result = poll_once(stack.runtime, account)
        stored = time.perf_counter()
        stack.wait_processed()
        done, cpu = time.perf_counter(), split.per_mail(len(mails))
    finally:
        server.stop()
    assert result.stored == len(mails), result
    print(f"  dovecot: stored and flagged at {len(mails) / (stored - started):7.0f} mails/s")
    return len(mails) / (done - started), cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker process")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="intake-bench-") as folder:
        tmp = Path(folder)
        stack = Stack(args.workers, args.threads, tmp)
        try:
            warm_up(stack, tmp)
            parse_mails = load_mails(args.messages, "parse")
            print(f"pipeline with {args.workers} worker processes x {args.threads} threads, PostgreSQL, Redis:")
            for name, run in (("maildir", through_maildir), ("dovecot", through_dovecot)):
                # the machine's speed drifts (a shared host): the baseline is taken just before and just after
                before = bare_parse_rate(parse_mails)
                rate, cpu = run(stack, load_mails(args.messages, f"{name}-{stack.run}"), tmp)
                after = bare_parse_rate(parse_mails)
                baseline = (before + after) / 2
                print(
                    f"  {name}: bare stdlib email parse {before:.0f} mails/s before, {after:.0f} after "
                    f"({args.messages} mails, best of 3)"
                )
                print(
                    f"  {name}: end to end  {rate:7.1f} mails/s = {rate / baseline:.1%} of bare parsing "
                    f"(target >= 25 %)"
                )
                print(
                    f"  {name}: CPU a mail: "
                    + ", ".join(f"{group} {ms:.2f} ms" for group, ms in cpu.items())
                    + f"; total {sum(cpu.values()):.2f} ms, bare parse {1000 / baseline:.2f} ms"
                )
            states, reasons = stack.outcomes()
            print(f"  outcomes: {states}")
            for reason, count in reasons.items():
                print(f"  quarantined x{count}: {reason}")
        finally:
            stack.close()


if __name__ == "__main__":
    main()
