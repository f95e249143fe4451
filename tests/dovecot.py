"""A private Dovecot IMAP server for the tests: throwaway config, users and maildirs, on a free loopback port.

Debian's `dovecot-imapd` provides the binary (`.ci/install-dovecot` installs it). Without it the tests skip
with the reason, except under CI=true, where a missing server fails the run. Nothing of the system's Dovecot
configuration is read: the config, mail store, runtime dir (`base_dir`) and log live in a
temporary folder. Dovecot runs as the current user; when that is root, its login and mail processes use the
package's unprivileged `dovenull` / `dovecot` users, because Dovecot refuses to run them as root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.servers import free_port
from tests.waits import poll_until

CANDIDATES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
PASSWORD = "test-password"


def dovecot_binary() -> str | None:
    found = shutil.which("dovecot")
    return found or next((path for path in CANDIDATES if os.access(path, os.X_OK)), None)


def require_dovecot() -> str:
    """The dovecot binary; skip (fail under CI=true) with the reason when it is not installed."""
    binary = dovecot_binary()
    if binary is None:
        message = "dovecot is not installed (Debian package dovecot-imapd; `.ci/install-dovecot` installs it)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    return binary


class Dovecot:
    """One Dovecot master process; `add_user` makes a fresh, empty account for each test."""

    def __init__(self, binary: str, root: Path, *, tls: bool = False, capabilities: str | None = None) -> None:
        self.binary, self.root = binary, root
        self.host, self.port = "127.0.0.1", free_port()
        self.tls_port = free_port() if tls else 0  # implicit TLS (imaps); STARTTLS is offered on `port`
        self.certificate = root / "cert.pem" if tls else None
        self.process: subprocess.Popen | None = None
        self.mail, self.log = root / "mail", root / "dovecot.log"
        self.config = root / "dovecot.conf"
        as_root = os.geteuid() == 0
        self.mail_user = "dovecot" if as_root else pwd.getpwuid(os.geteuid()).pw_name
        login_user = "dovenull" if as_root else self.mail_user
        for folder in ("run", "state", "mail", "home"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        if as_root:  # the unprivileged processes must reach their files
            root.chmod(0o755)
            for folder in ("mail", "home"):
                shutil.chown(root / folder, self.mail_user, self.mail_user)
        ssl_settings = "ssl = no"
        if tls:
            _self_signed_certificate(root / "cert.pem", root / "key.pem", self.host)
            ssl_settings = f"ssl = yes\nssl_cert = <{root}/cert.pem\nssl_key = <{root}/key.pem"
        self.config.write_text(
            CONFIG.format(
                root=root,
                port=self.port,
                tls_port=self.tls_port,
                ssl=ssl_settings,
                mail_user=self.mail_user,
                login_user=login_user,
                group=_group_of(self.mail_user),
                password=PASSWORD,
            )
        )
        if capabilities is not None:  # what the server advertises after login (the commands still work)
            with self.config.open("a") as config:
                config.write(f"protocol imap {{\n  imap_capability = {capabilities}\n}}\n")

    def start(self) -> None:
        # a session of its own: `stop` ends the master *and* the imap processes serving open connections
        self.process = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "stderr.log", "ab"),
            start_new_session=True,
        )
        # dovecot announces nothing when it starts to listen: its greeting is polled for
        try:
            poll_until(self._greets, f"dovecot to answer on {self.host}:{self.port}", timeout=15)
        except AssertionError as exc:
            raise RuntimeError(f"{exc}:\n{self.log_tail()}") from None

    def _greets(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"dovecot exited with {self.process.returncode}:\n{self.log_tail()}")
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as sock:
                return sock.recv(100).startswith(b"* OK")
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the server like a crash would look to clients: every connection is cut."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # the group we started in `start`, nothing else
            except ProcessLookupError:
                pass
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def add_user(self) -> tuple[str, str]:
        """A new account with an empty INBOX: (username, password)."""
        return f"u{uuid.uuid4().hex[:10]}", PASSWORD

    def client(self, user: str, password: str = PASSWORD) -> IMAPClient:
        """A logged-in client for setting up a test (APPEND, folders, flags)."""
        client = IMAPClient(self.host, self.port, ssl=False, timeout=10)
        client.login(user, password)
        return client

    def maildir(self, user: str) -> Path:
        return self.mail / user

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def _self_signed_certificate(cert: Path, key: Path, ip: str) -> None:
    """A one-day certificate for the loopback address, made with the openssl command line tool."""
    openssl = shutil.which("openssl")
    if openssl is None:
        message = "the openssl command is needed to make the test server's certificate"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={ip}",
            "-addext",
            f"subjectAltName=IP:{ip}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    key.chmod(0o644)  # read by dovecot's unprivileged processes when the tests run as root


def _group_of(user: str) -> str:
    import grp

    return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name


CONFIG = """\
# Throwaway Dovecot for the intake tests; nothing here is read from /etc/dovecot.
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0  # a refused login in a test should not cost seconds
default_internal_user = {mail_user}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
# Any user name logs in with the one test password: each test's fresh name is a fresh, empty mailbox.
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={group} home={root}/home/%u
}}
# chroot needs root: without it the same config also runs as an ordinary user ("rootless" Dovecot)
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
"""


def _started_dovecot(**options):
    binary = require_dovecot()
    root = Path(tempfile.mkdtemp(prefix="intake-dovecot-"))
    server = Dovecot(binary, root, **options)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot_server():
    """One private Dovecot for the whole test session (tests isolate themselves with `imap_account`)."""
    yield from _started_dovecot()


@pytest.fixture
def own_dovecot():
    """A Dovecot for this test alone: to stop and restart it, or to fail logins (Dovecot then slows down
    every later login from the same address, which would slow the tests sharing the session's server)."""
    yield from _started_dovecot()


@pytest.fixture
def dovecot(dovecot_server: Dovecot) -> Dovecot:
    """The session's Dovecot, running (a test that stopped it gets it back)."""
    if dovecot_server.process is None or dovecot_server.process.poll() is not None:
        dovecot_server.start()
    return dovecot_server


@pytest.fixture
def imap_account(dovecot: Dovecot) -> tuple[str, str]:
    """A fresh user with an empty mailbox on the test Dovecot: (username, password)."""
    return dovecot.add_user()


@pytest.fixture
def tls_dovecot():
    """A Dovecot with a self-signed certificate for 127.0.0.1: STARTTLS on `port`, implicit TLS on `tls_port`."""
    yield from _started_dovecot(tls=True)


@pytest.fixture
def basic_dovecot():
    """A Dovecot that advertises neither IDLE nor MOVE, like many older or smaller IMAP servers."""
    yield from _started_dovecot(capabilities="IMAP4rev1 LITERAL+ UIDPLUS")
