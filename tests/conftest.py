"""Shared fixtures: real SQLite and PostgreSQL databases, the real Redis broker and a real Dramatiq worker.

PostgreSQL and Redis must be reachable (127.0.0.1 by default; INTAKE_TEST_PG_URL / INTAKE_TEST_REDIS_URL
override): a missing server fails the run, it never skips. Each test run uses its own PostgreSQL database and
its own Redis namespace, so runs on one machine do not see each other.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import dramatiq
import psycopg
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import text

from intake.broker import use_broker
from intake.core.settings import Settings
from intake.runtime import REGISTRY_VERSION, Runtime, set_runtime
from store import registry_db
from store.cursors import set_cursor
from store.db import Database
from store.migrate import upgrade
from store.models import Base
from store.registry import load_registry
from tests.corpora import MISSING_CORPUS_MARK, check_missing_corpus
from tests.servers import PrivateRedis

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
PG_ADMIN_URL = os.environ.get("INTAKE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("INTAKE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:10]


def pytest_configure(config):
    config.addinivalue_line("markers", f"{MISSING_CORPUS_MARK}(name): parameters of a corpus that is not there")


def pytest_runtest_setup(item):
    check_missing_corpus(item)


@pytest.fixture(scope="session")
def pg_url():
    """A private PostgreSQL database for this test run, migrated once, dropped at the end."""
    name = f"intake_test_{RUN_ID}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required at {PG_ADMIN_URL}: {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    url = f"{base}/{name}"
    db = Database(url)
    upgrade(db)
    db.dispose()
    yield url
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file that each test copies (much faster than migrating per test)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    return path


def _truncate_all(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path, sqlite_template):
    """An empty, migrated database: each test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "intake.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
    else:
        database = Database(request.getfixturevalue("pg_url"))
        _truncate_all(database)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path, sqlite_template):
    path = tmp_path / "intake.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


def make_settings(db: Database, tmp_path: Path, **overrides) -> Settings:
    values = {"database_url": db.url, "data_dir": tmp_path / "data", "rules_dir": ROOT / "rules"} | overrides
    return Settings(**values)


@pytest.fixture
def registry():
    return load_registry(SAMPLES / "registry.yaml")


@pytest.fixture
def runtime(db, tmp_path, registry):
    """A runtime on the test database with the sample registry imported; set as the process runtime."""
    with db.session() as session:
        registry_db.import_registry(session, registry)
        set_cursor(session, REGISTRY_VERSION, "test")
    rt = Runtime(settings=make_settings(db, tmp_path), db=db)
    set_runtime(rt)
    yield rt
    set_runtime(None)


@pytest.fixture
def stub_broker():
    """The in-process broker (what the demo uses), with our actors declared on it."""
    from intake import actors  # noqa: F401

    broker = use_broker(StubBroker())
    broker.emit_after("process_boot")
    yield broker
    broker.flush_all()
    broker.close()
    use_broker(StubBroker())  # never leave a closed broker as the process broker


@pytest.fixture
def redis_broker():
    """The real Redis broker in a namespace of its own; fails the test when Redis is down."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required at {REDIS_URL}: {exc}")
    from intake import actors  # noqa: F401

    namespace = f"intake-test-{RUN_ID}-{uuid.uuid4().hex[:6]}"
    broker = use_broker(RedisBroker(url=REDIS_URL, namespace=namespace))
    broker.emit_after("process_boot")
    yield broker
    broker.flush_all()
    broker.close()
    use_broker(StubBroker())
    for key in client.scan_iter(f"{namespace}*"):
        client.delete(key)


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test alone, which it may shut down, hang or restart; killed at the end."""
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker_factory():
    """Start real Dramatiq workers on a broker; all are stopped at the end of the test."""
    workers: list[dramatiq.Worker] = []

    def start(broker, threads: int = 2) -> dramatiq.Worker:
        worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=threads)
        worker.start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
