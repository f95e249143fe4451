"""What a real `intake worker` (the dramatiq command line) logs when an item fails: the error and its
traceback, never the tenant's words, name, address or phone number (#18 defect 7)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from intake.actors import send_for_processing
from intake.core.models import ChannelName, RawInput
from intake.ingest import accept
from store.models import RawItem

pytestmark = pytest.mark.slow  # a real `intake worker`

NAME, ADDRESS, PHONE = "Marisol Quintanilla", "marisol.quintanilla@tenant.example", "+34 612 345 678"
WORDS = "the boiler in flat 4B hisses like a kettle"
MAIL = (
    f"From: {NAME} <{ADDRESS}>\r\nTo: maintenance@intake.example\r\nSubject: Boiler noise\r\n"
    f"Message-ID: <boiler-1@tenant.example>\r\nDate: Mon, 07 Dec 2026 09:00:00 +0000\r\n\r\n"
    f"Hello, {WORDS}. Call me on {PHONE}.\r\n"
).encode()


def test_a_failing_item_in_a_worker_process_logs_no_bound_values(sqlite_db, intake_worker):
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
    worker = intake_worker(sqlite_db.url, processes=1, threads=1, INTAKE_PIPELINE__MAX_ATTEMPTS="2")
    try:
        send_for_processing([stored.raw_id])  # through the test's broker: the same Redis namespace
        worker.output.wait_for(f"raw {stored.raw_id} quarantined", timeout=90)  # the worker failed the item twice
        with sqlite_db.session() as session:
            assert session.execute(select(RawItem.state).where(RawItem.id == stored.raw_id)).scalar() == "quarantined"
    finally:
        output = worker.stop()
    print(output)
    assert "tickets refused by the test" in output and "Traceback" in output  # the failure is in the log…
    for private in (NAME, "Quintanilla", ADDRESS, WORDS, "Boiler noise", PHONE, "612 345 678", "612345678"):
        assert private not in output, private  # …without the values the failed statement carried
