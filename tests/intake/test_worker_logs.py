"""What a real `intake worker` (the dramatiq command line) logs when an item fails: the error and its
traceback, never the tenant's words, name, address or phone number (#18 defect 7)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from sqlalchemy import select, text

from intake.actors import send_for_processing
from intake.core.models import ChannelName, RawInput
from intake.ingest import accept
from store.models import RawItem
from tests.conftest import REDIS_URL, ROOT
from tests.intake.test_service import wait_until

NAME, ADDRESS, PHONE = "Marisol Quintanilla", "marisol.quintanilla@tenant.example", "+34 612 345 678"
WORDS = "the boiler in flat 4B hisses like a kettle"
MAIL = (
    f"From: {NAME} <{ADDRESS}>\r\nTo: maintenance@intake.example\r\nSubject: Boiler noise\r\n"
    f"Message-ID: <boiler-1@tenant.example>\r\nDate: Mon, 07 Dec 2026 09:00:00 +0000\r\n\r\n"
    f"Hello, {WORDS}. Call me on {PHONE}.\r\n"
).encode()


def test_a_failing_item_in_a_worker_process_logs_no_bound_values(sqlite_db, redis_broker, tmp_path):
    with sqlite_db.engine.begin() as connection:  # a real database error, with the ticket's values bound
        connection.execute(
            text(
                "CREATE TRIGGER refuse_tickets BEFORE INSERT ON tickets "
                "BEGIN SELECT RAISE(ABORT, 'tickets refused by the test'); END"
            )
        )
    [stored] = accept(
        sqlite_db,
        [
            RawInput(
                channel=ChannelName.EMAIL,
                channel_id="<boiler-1@tenant.example>",
                payload=MAIL,
                content_type="message/rfc822",
            )
        ],
        enqueue=False,
    )
    env = os.environ | {
        "INTAKE_DATABASE_URL": sqlite_db.url,
        "INTAKE_REDIS_URL": REDIS_URL,
        "INTAKE_REDIS_NAMESPACE": redis_broker.namespace,
        "INTAKE_DATA_DIR": str(tmp_path / "data"),
        "INTAKE_RULES_DIR": str(ROOT / "rules"),
        "INTAKE_PIPELINE__MAX_ATTEMPTS": "2",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "intake.cli.main", "worker", "--processes", "1", "--threads", "1"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        send_for_processing([stored.raw_id])  # through the test's broker: the same Redis namespace

        def quarantined():
            with sqlite_db.session() as session:
                return (
                    session.execute(select(RawItem.state).where(RawItem.id == stored.raw_id)).scalar() == "quarantined"
                )

        wait_until(quarantined, timeout=90, what="the worker to fail the item twice")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        output = worker.communicate(timeout=60)[0].decode()
    print(output)
    assert "tickets refused by the test" in output and "Traceback" in output  # the failure is in the log…
    for private in (NAME, "Quintanilla", ADDRESS, WORDS, "Boiler noise", PHONE, "612 345 678", "612345678"):
        assert private not in output, private  # …without the values the failed statement carried
