"""One fault run from start to end, shared by the CI test and benchmarks/bench_faults.py."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tests.faults.account import Account, wait_for_processing
from tests.faults.cluster import PrivatePostgres, Services, intake_env
from tests.faults.load import APP_SECRET, Run, deliver, delivery, faults, ingest_emails, write_emails
from tests.servers import PrivateRedis, free_port


def fault_run(
    workdir: Path, deliveries: int, emails: int, pause: float, settle: float, env: dict[str, str] | None = None
) -> tuple[Run, Account, list]:
    """Start the private installation, send `deliveries` and `emails` while the faults run (`pause` s apart), wait
    up to `settle` s for processing; returns what was sent, the database's account and the expected channel ids.
    `env` overrides settings of every intake process. Every server and process is stopped before it returns."""
    pg, rd = PrivatePostgres(), PrivateRedis(workdir)
    env = intake_env(pg, rd, workdir, INTAKE_WHATSAPP__APP_SECRET=APP_SECRET, **(env or {}))
    services = Services(env, workdir, free_port())
    run = Run()
    try:
        pg.init()
        pg.start()
        rd.start()
        services.prepare()
        services.start()
        _wait_healthy(services)
        batches = write_emails(workdir / "mail", emails)
        window = pause * 6.5
        threads = [
            threading.Thread(target=faults, args=(services, pg, rd, run, pause)),
            threading.Thread(target=ingest_emails, args=(services, batches, window, run)),
        ]
        for thread in threads:
            thread.start()
        deliver(services.port, deliveries, window, run)
        for thread in threads:
            thread.join(timeout=600)
        expected = [delivery(n)[0] for n in range(deliveries)] + [m for ids in batches.values() for m in ids]
        result = wait_for_processing(pg.url, expected, settle)
        run.faults.append(f"services exited during the run: {services.exited() or 'none'}")
        return run, result, expected
    finally:
        services.stop()
        rd.stop()
        pg.destroy()


def _wait_healthy(services: Services, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{services.port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if services.exited():
                raise AssertionError(f"{services.exited()} exited: {services.log('serve')[-2000:]}") from None
        time.sleep(0.2)
    raise AssertionError("the web server did not become healthy")


def report(run: Run, result: Account, expected: list) -> str:
    """The counts, one line each."""
    lost, duplicated = result.lost(expected), result.duplicated(expected)
    lines = [
        f"faults: {'; '.join(run.faults)}",
        f"webhook deliveries accepted (200): {len(run.accepted)}; answered 200 more than once: "
        f"{sum(1 for c in run.accepted.values() if c > 1)}; refused before the retry: {dict(run.refused)}",
        f"bad bodies answered: {dict(sorted(run.bad.items()))}; 5xx outside the database outage: "
        f"{run.bad_5xx_outside_outage}",
        f"email batches ingested: {sum(run.emails_ingested.values())}/{len(run.emails_ingested)}",
        f"expected items: {len(expected)}; raw items by state: {dict(result.stored)}",
        f"processed exactly once: {sum(1 for c in expected if result.messages[c] == 1)}; lost: {len(lost)}; "
        f"duplicated: {len(duplicated)}",
    ]
    return "\n".join(lines)
