"""`intake worker`'s supervisor passes a stop on to its child once: Dramatiq's command line takes a second SIGTERM
as "kill the workers now". A child script stands in for Dramatiq and counts what it receives; the supervisor is
its own process, stopped as systemd's default control-group mode does (SIGTERM to every process) and once more."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.intake.workers.test_service import wait_until

CHILD = """
import signal, sys, time
from pathlib import Path
log, release = Path(sys.argv[1]), Path(sys.argv[2])
signal.signal(signal.SIGTERM, lambda *_: log.open("a").write("SIGTERM\\n"))
log.write_text("ready\\n")
while not release.exists():
    time.sleep(0.05)
"""
SUPERVISOR = """
import logging, sys
from intake.cli.supervise import supervise
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
sys.exit(supervise(sys.argv[1:]))
"""


def test_the_supervisor_passes_a_stop_on_once(tmp_path: Path):
    received, release = tmp_path / "received", tmp_path / "release"
    (tmp_path / "child.py").write_text(CHILD)
    output = tmp_path / "supervisor.out"
    with output.open("w") as out:
        supervisor = subprocess.Popen(
            [sys.executable, "-c", SUPERVISOR, sys.executable, str(tmp_path / "child.py"), str(received), str(release)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(
            lambda: received.exists() and received.read_text().startswith("ready"),
            timeout=60,
            what="the child to start",
        )
        os.killpg(supervisor.pid, signal.SIGTERM)  # what systemd's KillMode=control-group sends to each process
        wait_until(lambda: "SIGTERM" in received.read_text(), timeout=30, what="the child to be told to stop")
        os.kill(supervisor.pid, signal.SIGTERM)  # a second stop request
        wait_until(
            lambda: "SIGTERM again" in output.read_text() or received.read_text().count("SIGTERM") > 1,
            timeout=30,
            what="the second signal to be handled",
        )
    finally:
        release.touch()
        supervisor.wait(timeout=60)
    assert received.read_text().splitlines() == ["ready", "SIGTERM"], output.read_text()
    assert supervisor.returncode == 0
