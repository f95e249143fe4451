"""Bounded load run of POST /webhooks/whatsapp: signed deliveries from a concurrent client on loopback.

The server (the real aiohttp app with the webhook routes) runs in its own process on a fresh database;
this process is the client. Printed per database: deliveries/second stored durably, p50/p99
acknowledgement latency, and as a baseline measured in the same run the rate of `accept()` called
directly (no HTTP), so the ratio shows what the web edge costs. Afterwards what was sent, answered and
stored are compared (`check_deliveries`): every distinct message id sent (retries included) stored in
exactly one row and acknowledged as new once, every delivery answered 200; then targets met / NOT met.

    .venv/bin/python benchmarks/bench_webhooks.py                 # 5000 deliveries, SQLite and PostgreSQL
    .venv/bin/python benchmarks/bench_webhooks.py -n 2000 --db sqlite
Targets (issue 4): >= 1,000 deliveries/s on PostgreSQL with p99 <= 50 ms; nothing lost, no duplicate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402
from sqlalchemy import select  # noqa: E402

from intake.channels.whatsapp.payload import split_cloud_payload  # noqa: E402
from intake.channels.whatsapp.signature import sign_meta_payload  # noqa: E402
from store.db import Database  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import RawItem  # noqa: E402

SECRET = "bench-app-secret"
PG_ADMIN = os.environ.get("INTAKE_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEXTS = [
    "Kitchen sink is leaking under the cabinet",
    "No heat in the bedroom",
    "Front door lock is jammed",
    "Se sale el agua del calentador",
    "Die Heizung ist kalt",
    "Bathroom fan stopped working",
]


def delivery(n: int) -> bytes:
    """One Cloud API webhook body with one text message, as Meta sends it (non-ASCII escaped)."""
    sender = f"1555010{n % 1000:04d}"
    wamid = f"wamid.{'WARM' if n >= 20_000_000 else 'BENCH'}{n:08d}"
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550009999", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": f"Tenant {n}"}, "wa_id": sender}],
        "messages": [
            {
                "from": sender,
                "id": wamid,
                "timestamp": str(1795161600 + n),
                "type": "text",
                "text": {"body": f"{TEXTS[n % len(TEXTS)]} (#{n})"},
            }
        ],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body, separators=(",", ":")).encode()


def serve(url: str, port: int) -> None:
    """The server process: the real app factory on the benchmark database."""
    from aiohttp import web

    from intake.core.settings import Settings
    from intake.web.app import create_app

    settings = Settings(database_url=url, whatsapp={"app_secret": SECRET}, redis_url=None)
    app = create_app(settings, Database(url))
    profile_to = os.environ.get("BENCH_PROFILE")  # a file name: where the server loop's cProfile stats go
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()

        async def dump(_app) -> None:
            profiler.disable()
            profiler.dump_stats(profile_to)

        app.on_cleanup.append(dump)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


async def load(port: int, bodies: list[bytes], concurrency: int) -> tuple[float, list[float], list[tuple]]:
    """Post every body; returns the elapsed time, the latencies and (index, status, answer) per delivery."""
    url = f"http://127.0.0.1:{port}/webhooks/whatsapp"
    queue: asyncio.Queue = asyncio.Queue()
    for index, body in enumerate(bodies):
        queue.put_nowait((index, body, sign_meta_payload(body, SECRET)))
    latencies: list[float] = []
    answers: list[tuple] = []

    async def client(http: aiohttp.ClientSession) -> None:
        while not queue.empty():
            index, body, signature = queue.get_nowait()
            started = time.perf_counter()
            async with http.post(
                url, data=body, headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature}
            ) as response:
                answer = await response.json(content_type=None) if response.status == 200 else {}
                answers.append((index, response.status, answer))
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        began = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return elapsed, latencies, answers


def check_deliveries(sent_ids: list[str], answers: list[tuple], rows: list[tuple[str, int]]) -> dict:
    """What matters for "nothing lost, no duplicate": compare what was sent, answered and stored.

    `sent_ids` is the message id of every delivery (retries included), `rows` the (channel_id, raw id) of
    every stored bench row. A lost message was sent but not stored; a duplicate is a message stored in
    more than one row, or acknowledged as new more than once, or whose deliveries were told different raw ids.
    """
    distinct = set(sent_ids)
    stored = {}
    for channel_id, raw_id in rows:
        stored.setdefault(channel_id, []).append(raw_id)
    new_acks: dict[str, int] = {}
    told: dict[str, set[int]] = {}
    for index, status, answer in answers:
        if status == 200:
            new_acks[sent_ids[index]] = new_acks.get(sent_ids[index], 0) + answer.get("accepted", 0)
            told.setdefault(sent_ids[index], set()).update(answer.get("raw_ids", []))
    return {
        "sent": len(sent_ids),
        "distinct": len(distinct),
        "stored": len(rows),
        "not_acknowledged": sum(status != 200 for _, status, _ in answers) + len(sent_ids) - len(answers),
        "lost": len(distinct - stored.keys()),
        "unexpected": len(stored.keys() - distinct),
        "duplicates": sum(len(ids) > 1 for ids in stored.values())
        + sum(count > 1 for count in new_acks.values())
        + sum(len(ids) > 1 for ids in told.values()),
    }


def wait_ready(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("benchmark server did not start")


def baseline_accept(url: str, count: int) -> float:
    """Direct `accept()` of one item per call (what each request does), on a fresh copy of the schema."""
    from intake.ingest import accept

    db = Database(url)
    raws = [split_cloud_payload(delivery(10_000_000 + n))[0] for n in range(count)]
    began = time.perf_counter()
    for raw in raws:
        accept(db, [raw], enqueue=False)
    rate = count / (time.perf_counter() - began)
    db.dispose()
    return rate


def run(kind: str, url: str, total: int, retries: int, concurrency: int, warmup: int) -> None:
    db = Database(url)
    upgrade(db)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(url, port), daemon=True)
    server.start()
    try:
        wait_ready(port)
        picks = [n * (total // max(retries, 1)) for n in range(retries)]  # Meta-style redeliveries
        numbers = list(range(total)) + picks
        bodies = [delivery(n) for n in numbers]
        warm = [delivery(20_000_000 + n) for n in range(warmup)]  # connections, caches, threads: not measured
        asyncio.run(load(port, warm, concurrency))
        elapsed, latencies, answers = asyncio.run(load(port, bodies, concurrency))
    finally:
        server.terminate()
        server.join(10)
    with db.session() as session:
        rows = [
            tuple(r)
            for r in session.execute(
                select(RawItem.channel_id, RawItem.id).where(~RawItem.channel_id.like("wamid.WARM%"))
            )
        ]
    counts = check_deliveries(
        [json.loads(b)["entry"][0]["changes"][0]["value"]["messages"][0]["id"] for b in bodies], answers, rows
    )
    base = baseline_accept(url, min(1000, total))
    db.dispose()
    latencies.sort()
    rate = len(bodies) / elapsed
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000
    worst = latencies[-1] * 1000
    print(
        f"{kind:10s} deliveries={len(bodies)} (incl. {retries} retries) concurrency={concurrency} "
        f"time={elapsed:.2f}s rate={rate:,.0f}/s p50={p50:.1f}ms p99={p99:.1f}ms max={worst:.0f}ms"
    )
    print(
        f"{'':10s} "
        + " ".join(f"{k}={v}" for k, v in counts.items())
        + f" | baseline direct accept()={base:,.0f}/s (webhook/baseline={rate / base:.2f})"
    )
    speed = "met" if rate >= 1000 and p99 <= 50 else "NOT met"
    if kind != "postgresql":
        speed += " (the speed target is for PostgreSQL; shown for comparison)"
    exact = counts["lost"] == counts["duplicates"] == counts["unexpected"] == counts["not_acknowledged"] == 0
    exact = exact and counts["stored"] == counts["distinct"]
    print(
        f"{'':10s} target >=1,000/s with p99<=50ms: {speed}; every delivery stored exactly once: "
        f"{'met' if exact else 'NOT met'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--deliveries", type=int, default=5000)
    parser.add_argument("--retries", type=int, default=250, help="redeliveries of already-sent bodies")
    parser.add_argument("-c", "--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=300, help="unmeasured deliveries first")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            run("sqlite", f"sqlite:///{folder}/bench.db", args.deliveries, args.retries, args.concurrency, args.warmup)
    if args.db in ("postgres", "both"):
        import psycopg

        name = f"intake_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
            try:
                base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
                run("postgresql", f"{base}/{name}", args.deliveries, args.retries, args.concurrency, args.warmup)
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
