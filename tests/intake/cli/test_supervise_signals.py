"""`intake worker`'s supervisor passes a stop on to its child once: Dramatiq's command line takes a second SIGTERM
as "kill the workers now". A child script stands in for Dramatiq and counts what it receives; the supervisor is
its own process, stopped as systemd's default control-group mode does (SIGTERM to every process) and once more."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.waits import output_of

# Each line the child records it also prints, for the test to wait on; it ends when its input closes.
CHILD = """
import signal, sys
from pathlib import Path
log = Path(sys.argv[1])
def note(line):
    log.open("a").write(line + "\\n")
    print("child:", line, flush=True)
signal.signal(signal.SIGTERM, lambda *_: note("SIGTERM"))
note("ready")
sys.stdin.read()
"""
SUPERVISOR = """
import logging, sys
from intake.cli.supervise import supervise
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
sys.exit(supervise(sys.argv[1:]))
"""


def test_the_supervisor_passes_a_stop_on_once(tmp_path: Path):
    received = tmp_path / "received"
    (tmp_path / "child.py").write_text(CHILD)
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, sys.executable, str(tmp_path / "child.py"), str(received)],
        stdin=subprocess.PIPE,  # the child's too: closing it lets the child end
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    output = output_of(supervisor)
    try:
        output.wait_for("child: ready", timeout=60)  # the child started
        os.killpg(supervisor.pid, signal.SIGTERM)  # what systemd's KillMode=control-group sends to each process
        output.wait_for("child: SIGTERM", timeout=30)  # the child was told to stop
        os.kill(supervisor.pid, signal.SIGTERM)  # a second stop request
        output.wait_until(
            lambda lines: (
                any("SIGTERM again" in line for line in lines) or sum("child: SIGTERM" in line for line in lines) > 1
            ),
            what="the second signal handled",
            timeout=30,
        )
    finally:
        supervisor.stdin.close()
        supervisor.wait(timeout=60)
    assert received.read_text().splitlines() == ["ready", "SIGTERM"], output.all()
    assert supervisor.returncode == 0
