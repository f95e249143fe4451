"""Run threading cases through the real pipeline and score "follow-up" as a label.

One SQLite database in a temporary folder, migrated and given the registry once; between cases every ticket,
message, raw item, timer and counter is deleted, so each case starts empty (and keeps the built classifier).
Predicted "follow-up": the later message joined the earlier ticket, or its own ticket is tied to it (probable
follow-up, "may relate to"); "new" otherwise.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from dramatiq.brokers.stub import StubBroker
from sqlalchemy import delete, select

from intake.broker import use_broker
from intake.core.settings import Settings
from intake.ingest import accept
from intake.pipeline.process import process_raw
from intake.runtime import REGISTRY_VERSION, Runtime
from intake.threading_eval.cases import Case, to_raw
from store import registry_db
from store.cursors import set_cursor
from store.db import Database
from store.migrate import upgrade
from store.models import Base, Cursor, Ticket
from store.registry import load_registry

_KEPT_TABLES = {"properties", "units", "contacts", "fees", "cursors"}


@dataclass
class Result:
    """What happened to one case's later message."""

    case: Case
    predicted: str  # "follow-up" or "new"
    outcome: str  # the pipeline's outcome, e.g. "threaded onto EML-000001 by participant-subject"
    detail: str = ""

    @property
    def correct(self) -> bool:
        return self.predicted == self.case.expect


@dataclass
class Report:
    """Counts of "follow-up" as the positive label, per kind, and every miss."""

    results: list[Result] = field(default_factory=list)

    def _count(self, expect: str, predicted: str) -> int:
        return sum(1 for r in self.results if r.case.expect == expect and r.predicted == predicted)

    @property
    def precision(self) -> float:
        tp, fp = self._count("follow-up", "follow-up"), self._count("new", "follow-up")
        return tp / (tp + fp) if tp + fp else 1.0

    @property
    def recall(self) -> float:
        tp, fn = self._count("follow-up", "follow-up"), self._count("follow-up", "new")
        return tp / (tp + fn) if tp + fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def by_kind(self) -> dict[str, Counter]:
        table: dict[str, Counter] = {}
        for r in self.results:
            table.setdefault(r.case.kind, Counter())[(r.case.expect, r.predicted)] += 1
        return table

    @property
    def misses(self) -> list[Result]:
        return [r for r in self.results if not r.correct]


class EvalDatabase:
    """A private SQLite database with the registry, emptied of tickets before each case."""

    def __init__(self, registry_file: Path, rules_dir: Path, base_settings: Settings) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="intake-eval-threading-")
        folder = Path(self._folder.name)
        self.db = Database(f"sqlite:///{folder / 'intake.db'}")
        upgrade(self.db)
        with self.db.session() as session:
            registry_db.import_registry(session, load_registry(registry_file))
            set_cursor(session, REGISTRY_VERSION, "eval-threading")
        settings = base_settings.model_validate(
            base_settings.model_dump()
            | {"database_url": self.db.url, "data_dir": folder / "data", "redis_url": None, "rules_dir": rules_dir}
        )
        self.now = None
        self.runtime = Runtime(settings=settings, db=self.db, clock=lambda: self.now)

    def clear(self) -> None:
        with self.db.session() as session:
            for table in reversed(Base.metadata.sorted_tables):
                if table.name not in _KEPT_TABLES:
                    session.execute(delete(table))
            session.execute(delete(Cursor).where(Cursor.name != REGISTRY_VERSION))

    def close(self) -> None:
        self.db.dispose()
        self._folder.cleanup()


def run_case(edb: EvalDatabase, case: Case) -> Result:
    """The earlier message, its ticket set to the case's status, then the later message; what tied them."""
    edb.clear()
    rt = edb.runtime
    edb.now = case.earlier.received_at
    first = _deliver(rt, to_raw(case.earlier, f"{case.id}.earlier"))
    if first.ticket_number is None:
        return Result(case, "new", f"earlier message not ticketed: {first.outcome}")
    with rt.db.session() as session:
        ticket = session.execute(select(Ticket).where(Ticket.number == first.ticket_number)).scalar_one()
        ticket.status = case.earlier.status
        if case.earlier.status == "resolved":
            ticket.resolved_at = case.earlier.received_at
    edb.now = case.later.received_at
    second = _deliver(rt, to_raw(case.later, f"{case.id}.later"))
    if second.ticket_number == first.ticket_number:
        return Result(case, "follow-up", second.outcome)
    if second.ticket_number is None:
        return Result(case, "new", second.outcome)
    with rt.db.session() as session:
        later = session.execute(select(Ticket).where(Ticket.number == second.ticket_number)).scalar_one()
        tied = later.probable_followup_of == first.ticket_number
        detail = "; ".join(later.review_reasons or [])
        return Result(
            case,
            "follow-up" if tied else "new",
            second.outcome + (f", tied to {first.ticket_number}" if tied else ""),
            detail,
        )


def _deliver(rt: Runtime, raw):
    (accepted,) = accept(rt.db, [raw], enqueue=False)
    return process_raw(rt, accepted.raw_id)


def evaluate(cases: list[Case], registry_file: Path, rules_dir: Path, settings: Settings) -> Report:
    """Every case on one private database, with an in-process broker for the timers the rules arm."""
    # Imported here, not at the top: importing it reads the process settings and declares the timer actors the
    # decide stage sends to; `use_broker` re-binds them to this run's stub broker.
    from intake import actors  # noqa: F401

    broker = use_broker(StubBroker())  # left in place, as the tests' fixtures do: never a closed broker
    edb = EvalDatabase(registry_file, rules_dir, settings)
    try:
        report = Report()
        for case in cases:
            report.results.append(run_case(edb, case))
            broker.flush_all()
        return report
    finally:
        broker.flush_all()
        edb.close()
