"""The fault run: signed WhatsApp deliveries, bad bodies and `intake ingest` of emails sent while a schedule of
faults runs (the account of what became of them is in `account.py`)."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from intake.channels.whatsapp.signature import sign_meta_payload
from tests.faults.cluster import PrivatePostgres, Services, intake
from tests.servers import PrivateRedis

APP_SECRET = "faults-app-secret-0123456789"


def delivery(n: int) -> tuple[str, bytes]:
    """A WhatsApp Cloud text delivery from its own sender: (message id, body)."""
    wamid = f"wamid.FAULT{n:06d}"
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550009999", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": f"Tenant {n}"}, "wa_id": f"1555{n:07d}"}],
        "messages": [
            {
                "from": f"1555{n:07d}",
                "id": wamid,
                "timestamp": "1795161600",
                "type": "text",
                "text": {"body": f"The kitchen tap in flat {n} is leaking"},
            }
        ],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    return wamid, json.dumps(body).encode()


def bad_bodies(n: int) -> list[tuple[bytes, bool]]:
    """Bodies we can never process, each (body, signed): all must be answered 4xx."""
    wamid, good = delivery(n)
    return [
        (b"{not json", True),
        (b"[" * 3000 + b"]" * 3000, True),
        (good, False),
        (good.replace(b'"text": {"body": "', b'"text": {"body": 7, "x": "'), True),
        (good.replace(wamid.encode(), (wamid + "\\u0000x").encode()), True),
    ]


def post(port: int, body: bytes, signed: bool = True) -> int:
    """The HTTP status of one POST to /webhooks/whatsapp; 0 when the server could not be reached in time."""
    headers = {"Content-Type": "application/json"}
    if signed:
        headers["X-Hub-Signature-256"] = sign_meta_payload(body, APP_SECRET)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/whatsapp", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def write_emails(folder: Path, count: int, per_batch: int = 10) -> dict[Path, list[str]]:
    """`count` .eml files from distinct senders in batch folders: {folder: [Message-ID, …]}."""
    batches: dict[Path, list[str]] = {}
    for n in range(count):
        batch = folder / f"batch-{n // per_batch:03d}"
        batch.mkdir(parents=True, exist_ok=True)
        message_id = f"<fault-{n}@tenants.example>"
        (batch / f"{n}.eml").write_bytes(
            (
                f"From: Tenant {n} <tenant{n}@tenants.example>\r\nTo: maintenance@intake.example\r\n"
                f"Subject: No heating in flat {n}\r\nMessage-ID: {message_id}\r\n"
                f"Date: Mon, 7 Dec 2026 10:00:00 +0000\r\n\r\nThe radiators in flat {n} are cold.\r\n"
            ).encode()
        )
        batches.setdefault(batch, []).append(message_id)
    return batches


@dataclass
class Run:
    """What the run sent and what it was answered."""

    accepted: dict[str, int] = field(default_factory=dict)  # wamid -> 200s received
    refused: Counter = field(default_factory=Counter)  # status of valid deliveries not accepted (retried later)
    bad: Counter = field(default_factory=Counter)  # status of bad bodies
    bad_5xx_outside_outage: int = 0
    emails_ingested: dict[Path, bool] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    database_down: list[tuple[float, float]] = field(default_factory=list)


def faults(services: Services, pg: PrivatePostgres, rd: PrivateRedis, run: Run, pause: float) -> None:
    """The schedule: kill a worker process, lose Redis's data, hang Redis, stop PostgreSQL; `pause` s apart.
    A step that fails is recorded in `run.faults` (the thread's exception would otherwise go unseen)."""
    try:
        _schedule(services, pg, rd, run, pause)
    except Exception as exc:
        run.faults.append(f"FAILED: {type(exc).__name__}: {exc}")
        if rd.process and rd.process.poll() is not None:
            rd.start()  # leave the servers up, so the account below can still be read
        try:
            pg.start()
        except subprocess.CalledProcessError:  # it was running
            pass


def _schedule(services: Services, pg: PrivatePostgres, rd: PrivateRedis, run: Run, pause: float) -> None:
    time.sleep(pause)
    children = services.worker_children()
    if children:
        subprocess.run(["kill", "-KILL", str(children[-1])], check=False)
        run.faults.append(f"SIGKILL worker process {children[-1]}")
    time.sleep(pause)
    rd.shutdown_nosave()
    run.faults.append("redis SHUTDOWN NOSAVE")
    time.sleep(pause / 2)
    rd.start()
    run.faults.append("redis restarted")
    time.sleep(pause)
    rd.hang()
    run.faults.append("redis SIGSTOP")
    time.sleep(pause)
    rd.resume()
    run.faults.append("redis SIGCONT")
    time.sleep(pause)
    began = time.monotonic()
    pg.stop_immediate()
    run.faults.append("postgresql stop -m immediate")
    time.sleep(pause)
    pg.start()
    run.database_down.append((began, time.monotonic() + 5))  # pools reconnect after the restart
    run.faults.append("postgresql started")


def _send(port: int, n: int, run: Run, lock: threading.Lock) -> None:
    wamid, body = delivery(n)
    status = post(port, body)
    with lock:
        if status == 200:
            run.accepted[wamid] = run.accepted.get(wamid, 0) + 1
        else:
            run.refused[status] += 1
    if n % 10 == 0:  # a bad body among every ten deliveries
        for raw, signed in bad_bodies(n):
            sent = time.monotonic()
            status = post(port, raw, signed)
            with lock:
                run.bad[status] += 1
                if status >= 500 or status == 0:
                    if not any(start <= sent <= end for start, end in run.database_down) and not _pg_down_now(run):
                        run.bad_5xx_outside_outage += 1


def _pg_down_now(run: Run) -> bool:
    return bool(run.faults) and run.faults[-1] == "postgresql stop -m immediate"


def deliver(port: int, count: int, seconds: float, run: Run, threads: int = 6) -> None:
    """`count` deliveries spread over about `seconds`, then the provider's retries of every one not answered 200."""
    lock = threading.Lock()
    with ThreadPoolExecutor(threads) as pool:
        for n in range(count):
            pool.submit(_send, port, n, run, lock)
            time.sleep(seconds / count)
    for _ in range(30):  # Meta retries what was not accepted (bounded here)
        missing = [n for n in range(count) if delivery(n)[0] not in run.accepted]
        if not missing:
            return
        with ThreadPoolExecutor(threads) as pool:
            statuses = list(pool.map(lambda n: post(port, delivery(n)[1]), missing))
        for n, status in zip(missing, statuses):
            if status == 200:
                run.accepted[delivery(n)[0]] = run.accepted.get(delivery(n)[0], 0) + 1
        time.sleep(1)


def ingest_emails(services: Services, batches: dict[Path, list[str]], seconds: float, run: Run) -> None:
    """`intake ingest --no-wait` of each batch during the faults; a batch that fails is ingested again later."""
    for batch in batches:
        result = subprocess.run(
            intake("ingest", "--no-wait", str(batch)),
            env=services.env,
            cwd=services.workdir,
            capture_output=True,
            timeout=120,
        )
        run.emails_ingested[batch] = result.returncode == 0
        time.sleep(seconds / len(batches))
    for _ in range(10):
        for batch in [b for b, ok in run.emails_ingested.items() if not ok]:
            result = subprocess.run(
                intake("ingest", "--no-wait", str(batch)),
                env=services.env,
                cwd=services.workdir,
                capture_output=True,
                timeout=120,
            )
            run.emails_ingested[batch] = result.returncode == 0
        if all(run.emails_ingested.values()):
            return
        time.sleep(2)
