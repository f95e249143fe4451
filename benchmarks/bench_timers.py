"""SLA timer scheduling overhead: tickets per second through decide + SLA plan alone, and through decide + plan +
`schedule_timers` (six timer rows written and committed per ticket, as the pipeline does), in the same run on
the same stored tickets; printed as a ratio. Also times a sweeper pass over every timer row.

Run: .venv/bin/python benchmarks/bench_timers.py [--tickets 1000] [--database sqlite:////tmp/bench-timers.db]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from assignment import RuleEngine, Workload  # noqa: E402
from assignment.ticket_facts import ticket_facts  # noqa: E402
from assignment.timers import schedule_timers  # noqa: E402
from store.db import Database  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import Ticket  # noqa: E402

KINDS = [
    ("maintenance", "plumbing", "urgent"),
    ("maintenance", "general_repair", "standard"),
    ("maintenance", "electrical", "high"),
    ("billing", "payment", "low"),
]


def make_tickets(db: Database, count: int, start: datetime) -> list[str]:
    with db.session() as session:
        for index in range(count):
            category, subcategory, urgency = KINDS[index % len(KINDS)]
            session.add(
                Ticket(
                    number=f"EML-{index + 1:06d}",
                    channel="email",
                    subject="bench",
                    requester=f"t{index}@example.net",
                    category=category,
                    subcategory=subcategory,
                    urgency=urgency,
                    property_id="HBR",
                    unit="101",
                    status="assigned",
                    priority=urgency.upper(),
                    team="maintenance",
                    assignee="maya-maintenance",
                    created_at=start + timedelta(minutes=index),
                    updated_at=start,
                    last_activity_at=start,
                )
            )
    with db.session() as session:
        return list(session.execute(select(Ticket.id).order_by(Ticket.number)).scalars())


def run(db: Database, engine: RuleEngine, ids: list[str], now: datetime, *, schedule: bool) -> float:
    """Seconds to decide (and optionally schedule timers for) every ticket, one transaction per ticket."""
    began = time.perf_counter()
    for ticket_id in ids:
        with db.session() as session:
            ticket = session.get(Ticket, ticket_id)
            facts = ticket_facts(ticket, "water dripping under the kitchen sink")
            engine.decide(facts, Workload(), now)
            plan = engine.sla_plan(facts, ticket.created_at)
            if schedule:
                schedule_timers(session, ticket, engine, plan, now)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--database", help="SQLAlchemy URL of an empty database (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(args.database or f"sqlite:///{tmp}/bench.db")
        upgrade(db)
        engine = RuleEngine.load(ROOT / "rules")
        start = datetime(2026, 11, 30, 14, tzinfo=UTC)
        ids = make_tickets(db, args.tickets, start)
        now = start + timedelta(minutes=1)
        run(db, engine, ids[:50], now, schedule=False)  # warm caches
        alone = run(db, engine, ids, now, schedule=False)
        scheduled = run(db, engine, ids, now, schedule=True)  # first time: inserts every timer row
        again = run(db, engine, ids, now, schedule=True)  # re-scheduling unchanged timers: reads, no writes
        from assignment.actors_impl import sweep_due_timers
        from intake.core.settings import Settings
        from intake.runtime import Runtime

        settings = Settings(database_url=db.url, data_dir=Path(tmp) / "data", rules_dir=ROOT / "rules")
        runtime = Runtime(settings=settings, db=db, clock=lambda: now + timedelta(minutes=1))
        began = time.perf_counter()
        armed = len(sweep_due_timers(runtime))  # the in-process broker: messages stay in memory
        sweep = time.perf_counter() - began
        db.dispose()
    n = args.tickets
    print(f"{n} tickets on {db.engine.dialect.name}, one transaction each")
    print(f"decide + SLA plan alone        : {n / alone:8.0f} tickets/s")
    print(f"decide + plan + schedule_timers: {n / scheduled:8.0f} tickets/s  (ratio {scheduled / alone:.2f}x the time)")
    print(f"  re-scheduling unchanged      : {n / again:8.0f} tickets/s  (ratio {again / alone:.2f}x the time)")
    print(f"sweeper query over ~{n * 6} timer rows, none due ({armed} sent): {sweep * 1000:.1f} ms")


if __name__ == "__main__":
    main()
