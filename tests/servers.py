"""Servers of a test's own on loopback: a free port, and a redis-server that a test may stop, hang or kill
without touching the shared one."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
from pathlib import Path

import redis

from tests.waits import output_of


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server in memory only (`--save "" --appendonly no`) on a free loopback port, restartable there."""

    def __init__(self, workdir: Path) -> None:
        self.workdir, self.port, self.process = workdir, free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server and return once it accepts connections (it says so on its output)."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is required (see .ci/run)")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.workdir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        output_of(self.process).wait_for("Ready to accept connections", timeout=15)

    def shutdown_nosave(self) -> None:
        """SHUTDOWN NOSAVE: every queued broker message is lost."""
        try:
            redis.Redis.from_url(self.url, socket_timeout=5).shutdown(nosave=True)
        except redis.ConnectionError:  # the server closes the connection as it exits
            pass
        self.process.wait(timeout=15)

    def keys(self, pattern: str) -> list[bytes]:
        return list(redis.Redis.from_url(self.url).scan_iter(pattern))

    def hang(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a hung server too
            self.process.kill()
            self.process.wait(timeout=15)
