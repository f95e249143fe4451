"""A private intake installation for the fault suite: its own PostgreSQL cluster and redis-server on free
loopback ports, and `intake serve`, `intake worker` and `intake beat` as real processes on them.

Everything here can be killed, stopped and restarted by the suite without touching the shared servers.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conftest import ROOT, SAMPLES
from tests.intake.workers.test_worker_supervision import descendants
from tests.servers import PrivateRedis, free_port


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed under /usr/lib/postgresql/*/bin")
    return found[-1]


class PrivatePostgres:
    """A throw-away PostgreSQL cluster (initdb) on a free loopback port; run as `postgres`, since initdb refuses root."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="intake-faults-pg-"))  # not under pytest's root-only tmp
        self.data, self.port = self.home / "data", free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.home} -c fsync=off -c max_connections=200"
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.home / "log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )

    def stop_immediate(self) -> None:
        """Stop like a crash: no shutdown checkpoint, every connection cut."""
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop_immediate()
        finally:
            shutil.rmtree(self.home, ignore_errors=True)


def intake_env(pg: PrivatePostgres, rd: PrivateRedis, workdir: Path, **extra: str) -> dict[str, str]:
    """The environment of every intake process of the installation: short leases and reconcile periods, so the
    suite sees recovery within its bounded time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    return (
        env
        | {
            "INTAKE_DATABASE_URL": pg.url,
            "INTAKE_REDIS_URL": rd.url,
            "INTAKE_REDIS_NAMESPACE": "intake-faults",
            "INTAKE_DATA_DIR": str(workdir / "data"),
            "INTAKE_RULES_DIR": str(ROOT / "rules"),
            "INTAKE_LOG_LEVEL": "WARNING",
            "INTAKE_PIPELINE__CLAIM_SECONDS": "10",
            "INTAKE_PIPELINE__RECONCILE_AFTER_SECONDS": "3",
            "INTAKE_PIPELINE__RECONCILE_INTERVAL_SECONDS": "2",
            "INTAKE_LIMITS__NEW_TICKETS_PER_SENDER_PER_HOUR": "1000",
        }
        | extra
    )


def intake(*args: str) -> list[str]:
    return [sys.executable, "-m", "intake.cli.main", *args]


class Services:
    """`intake serve`, `intake worker` and `intake beat`, each in its own process group."""

    def __init__(self, env: dict[str, str], workdir: Path, port: int) -> None:
        self.env, self.workdir, self.port = env, workdir, port
        self.processes: dict[str, subprocess.Popen] = {}

    def prepare(self) -> None:
        """Migrate once and load the registry, before any service starts (no concurrent migrations)."""
        for args in (("db", "upgrade"), ("registry", "import", str(SAMPLES / "registry.yaml"))):
            subprocess.run(intake(*args), env=self.env, cwd=self.workdir, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        commands = {
            "serve": intake("serve", "--host", "127.0.0.1", "--port", str(self.port)),
            "worker": intake("worker", "--processes", "2", "--threads", "2"),
            "beat": intake("beat"),
        }
        for name, command in commands.items():
            self.processes[name] = subprocess.Popen(
                command,
                env=self.env,
                cwd=self.workdir,
                start_new_session=True,
                stdout=open(self.workdir / f"{name}.log", "wb"),
                stderr=subprocess.STDOUT,
            )

    def worker_children(self) -> list[int]:
        """Dramatiq's worker processes (the leaves below `intake worker`)."""
        below = descendants(self.processes["worker"].pid)
        return [pid for pid in below if not descendants(pid)]

    def exited(self) -> list[str]:
        return [name for name, process in self.processes.items() if process.poll() is not None]

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")
