"""`intake run` as a real process: a signed WhatsApp delivery over loopback becomes a ticket."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request

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
    service_output = output_of(server)
    try:
        service_output.wait_for("Running on http://", timeout=30)  # the web server listens
        assert is_healthy(port, server)
        body = (SAMPLES / "whatsapp" / "01-text-sink-leak.json").read_bytes()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/webhooks/whatsapp",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign_meta_payload(body, SECRET)},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
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
    web_output, worker_output = output_of(web), output_of(worker)
    try:
        web_output.wait_for("Running on http://", timeout=30)  # the web server listens
        assert is_healthy(port, web)
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
