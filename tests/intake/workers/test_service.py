"""`intake run` as a real process: a signed WhatsApp delivery over loopback becomes a ticket."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from intake.channels.whatsapp.signature import sign_meta_payload
from store.db import Database
from store.models import Ticket
from tests.conftest import ROOT, SAMPLES
from tests.servers import free_port
from tests.waits import output_of

pytestmark = pytest.mark.slow  # `intake run`, `serve` and `worker` as real processes

SECRET = "service-test-app-secret"


def import_registry(env: dict[str, str], cwd: Path) -> None:
    """`intake registry import` of the sample registry, as an operator runs it before the service."""
    command = [sys.executable, "-m", "intake.cli.main", "registry", "import", str(SAMPLES / "registry.yaml")]
    subprocess.run(command, env=env, check=True, capture_output=True, cwd=cwd)


def intake(env: dict[str, str], cwd: Path, *args: str, **popen) -> subprocess.Popen:
    """An `intake` command as its own process, its output (stderr included) on a pipe."""
    command = [sys.executable, "-m", "intake.cli.main", *args]
    return subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **popen)


def deliver_sample(port: int) -> int:
    """POST the sample WhatsApp delivery, signed, to the service's webhook; returns the HTTP status."""
    body = (SAMPLES / "whatsapp" / "01-text-sink-leak.json").read_bytes()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/whatsapp",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign_meta_payload(body, SECRET)},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status


def is_healthy(port: int, server: subprocess.Popen) -> bool:
    """Whether the web server answers /healthz with 200; fails the test at once if its process has exited."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        if server.poll() is not None:
            raise AssertionError(f"the server exited with {server.returncode}") from None
        return False


def test_intake_run_serves_webhooks_and_processes_them(tmp_path):
    port = free_port()
    env = os.environ | {
        "INTAKE_DATABASE_URL": f"sqlite:///{tmp_path / 'service.db'}",
        "INTAKE_DATA_DIR": str(tmp_path / "data"),
        "INTAKE_RULES_DIR": str(ROOT / "rules"),
        "INTAKE_WHATSAPP__APP_SECRET": SECRET,
    }
    env.pop("INTAKE_REDIS_URL", None)
    import_registry(env, tmp_path)
    server = intake(env, tmp_path, "run", "--port", str(port))
    service_output = output_of(server)
    try:
        service_output.wait_for("Running on http://", timeout=30)  # the web server listens
        assert is_healthy(port, server)
        assert deliver_sample(port) == 200
        service_output.wait_for("processed: new ticket WA-000001", timeout=30)
        db = Database(env["INTAKE_DATABASE_URL"])
        with db.session() as session:
            created = session.execute(select(Ticket)).scalar_one_or_none()
        assert created.number == "WA-000001" and created.channel == "whatsapp"
        assert created.requester.startswith("+") and created.category == "maintenance"
        db.dispose()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    output = service_output.all()
    print(output)
    assert "processed: new ticket WA-000001" in output  # the service logged the item…
    assert "15550100101" not in output  # …but never a full phone number


def test_scale_out_serve_and_worker_processes_on_redis_and_postgresql(tmp_path, pg_url):
    """The production shape: `intake serve` stores, a separate `intake worker` process makes the ticket."""
    import uuid

    from tests.conftest import REDIS_URL, _truncate_all

    database = Database(pg_url)
    _truncate_all(database)
    database.dispose()
    port = free_port()
    env = os.environ | {
        "INTAKE_DATABASE_URL": pg_url,
        "INTAKE_REDIS_URL": REDIS_URL,
        "INTAKE_REDIS_NAMESPACE": f"intake-scaleout-{uuid.uuid4().hex[:8]}",
        "INTAKE_DATA_DIR": str(tmp_path / "data"),
        "INTAKE_RULES_DIR": str(ROOT / "rules"),
        "INTAKE_WHATSAPP__APP_SECRET": SECRET,
    }
    import_registry(env, tmp_path)
    web = intake(env, tmp_path, "serve", "--port", str(port))
    worker = intake(env, tmp_path, "worker", "--processes", "1", "--threads", "2", start_new_session=True)
    db = Database(pg_url)
    web_output, worker_output = output_of(web), output_of(worker)
    try:
        web_output.wait_for("Running on http://", timeout=30)  # the web server listens
        assert is_healthy(port, web)
        for _ in range(2):  # Meta's retry of the same delivery
            assert deliver_sample(port) == 200

        worker_output.wait_for("processed: new ticket WA-000001", timeout=60)  # the worker process made it
        with db.session() as session:
            [created] = session.execute(select(Ticket)).scalars().all()
        assert created.number == "WA-000001" and created.category == "maintenance"
    finally:
        db.dispose()
        web.send_signal(signal.SIGINT)
        os.killpg(worker.pid, signal.SIGTERM)  # dramatiq's parent and its worker processes
        web.wait(timeout=30)
        worker.wait(timeout=60)
    assert "15550100101" not in worker_output.all()
