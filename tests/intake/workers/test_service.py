"""`intake run` as a real process: a signed WhatsApp delivery over loopback becomes a ticket."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from sqlalchemy import select

from intake.channels.whatsapp.signature import sign_meta_payload
from store.db import Database
from store.models import Ticket
from tests.conftest import ROOT, SAMPLES

SECRET = "service-test-app-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout: float = 30.0, what: str = "condition"):
    """Poll a process we do not control (no broker to join): bounded, and says what it waited for."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def is_healthy(port: int, server: subprocess.Popen) -> bool:
    """Whether the web server answers /healthz yet; fails the test at once if its process has exited."""
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
    subprocess.run(
        [sys.executable, "-m", "intake.cli.main", "registry", "import", str(SAMPLES / "registry.yaml")],
        env=env,
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "intake.cli.main", "run", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: is_healthy(port, server), what="the web server")
        body = (SAMPLES / "whatsapp" / "01-text-sink-leak.json").read_bytes()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/webhooks/whatsapp",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign_meta_payload(body, SECRET)},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
        db = Database(env["INTAKE_DATABASE_URL"])

        def ticket():
            with db.session() as session:
                return session.execute(select(Ticket)).scalar_one_or_none()

        created = wait_until(ticket, what="the ticket")
        assert created.number == "WA-000001" and created.channel == "whatsapp"
        assert created.requester.startswith("+") and created.category == "maintenance"
        db.dispose()
    finally:
        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=30)[0].decode()
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
    subprocess.run(
        [sys.executable, "-m", "intake.cli.main", "registry", "import", str(SAMPLES / "registry.yaml")],
        env=env,
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    web = subprocess.Popen(
        [sys.executable, "-m", "intake.cli.main", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "intake.cli.main", "worker", "--processes", "1", "--threads", "2"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    db = Database(pg_url)
    try:
        wait_until(lambda: is_healthy(port, web), what="the web server")
        body = (SAMPLES / "whatsapp" / "01-text-sink-leak.json").read_bytes()
        for _ in range(2):  # Meta's retry of the same delivery
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/webhooks/whatsapp",
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign_meta_payload(body, SECRET)},
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.status == 200

        def tickets():
            with db.session() as session:
                return session.execute(select(Ticket)).scalars().all()

        [created] = wait_until(tickets, timeout=60, what="the worker process to make the ticket")
        assert created.number == "WA-000001" and created.category == "maintenance"
    finally:
        db.dispose()
        web.send_signal(signal.SIGINT)
        os.killpg(worker.pid, signal.SIGTERM)  # dramatiq's parent and its worker processes
        web.communicate(timeout=30)
        worker_output = worker.communicate(timeout=60)[0].decode()
    assert "15550100101" not in worker_output
