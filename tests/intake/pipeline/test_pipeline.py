"""The pipeline end to end on real databases and brokers: exactly one ticket per message, whatever happens."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
import textwrap
from datetime import UTC, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from sqlalchemy import func, select

from intake import actors
from intake.channels.email.files import email_raw
from intake.core.models import utcnow
from intake.ingest import accept
from intake.pipeline import stages
from intake.pipeline.process import process_raw
from store.models import RawItem, Ticket, TicketEvent, TicketMessage
from tests.waits import log_lines


def make_email(
    sender="maria@example.net",
    name="Maria Lopez",
    subject="Leak under the kitchen sink",
    body="Water is dripping under the kitchen sink in unit 101, please send someone.",
    message_id=None,
    in_reply_to=None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = "maintenance@intake.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = message_id or make_msgid(domain=sender.split("@")[1])
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    return bytes(msg)


def count(db, model, *where) -> int:
    with db.session() as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def drain(broker, worker) -> None:
    for queue in ("inbound", "maintenance"):
        broker.join(queue)
    worker.join()


def test_same_email_ingested_twice_makes_one_ticket(runtime, stub_broker, worker_factory):
    worker = worker_factory(stub_broker)
    data = make_email()
    first = accept(runtime.db, [email_raw(data, "test")])
    second = accept(runtime.db, [email_raw(data, "test-again")])
    drain(stub_broker, worker)
    assert [r.duplicate for r in first + second] == [False, True]
    assert count(runtime.db, Ticket) == 1
    with runtime.db.session() as session:
        ticket = session.execute(select(Ticket)).scalar_one()
        assert ticket.number == "EML-000001" and ticket.requester == "maria@example.net"
        assert ticket.category == "maintenance" and ticket.subcategory == "plumbing"
        assert ticket.property_id == "HBR" and ticket.unit == "101"
        kinds = [e.kind for e in session.execute(select(TicketEvent).order_by(TicketEvent.id)).scalars()]
        assert kinds[:2] == ["created", "classified"]


def test_reply_threads_onto_its_ticket(runtime, stub_broker, worker_factory):
    worker = worker_factory(stub_broker)
    first_id = make_msgid(domain="example.net")
    accept(runtime.db, [email_raw(make_email(message_id=first_id), "test")])
    drain(stub_broker, worker)
    reply = make_email(
        subject="Re: Leak under the kitchen sink",
        body="It is getting worse, the cabinet is soaked.\n\n"
        "On Mon, Maria Lopez wrote:\n> Water is dripping under the kitchen sink",
        in_reply_to=first_id,
    )
    accept(runtime.db, [email_raw(reply, "test")])
    drain(stub_broker, worker)
    assert count(runtime.db, Ticket) == 1
    with runtime.db.session() as session:
        messages = session.execute(select(TicketMessage).order_by(TicketMessage.id)).scalars().all()
        assert len(messages) == 2
        assert messages[1].thread_signal and messages[1].text.startswith("It is getting worse")
        assert "> Water is dripping" in messages[1].full_text


def test_lost_broker_message_is_redriven_by_the_reconciler(runtime, stub_broker, worker_factory):
    worker = worker_factory(stub_broker)
    accept(runtime.db, [email_raw(make_email(), "test")], enqueue=False)  # stored; its message never sent
    drain(stub_broker, worker)
    assert count(runtime.db, Ticket) == 0
    assert actors.reconcile_pending(runtime) == []  # not stale yet: a worker may be on it
    runtime.clock = lambda: utcnow() + timedelta(seconds=runtime.settings.pipeline.reconcile_after_seconds + 1)
    assert len(actors.reconcile_pending(runtime)) == 1
    drain(stub_broker, worker)
    assert count(runtime.db, Ticket) == 1
    assert count(runtime.db, RawItem, RawItem.state == "processed") == 1


@pytest.mark.slow  # a worker process killed mid-item
def test_worker_killed_mid_item_loses_nothing_and_duplicates_nothing(runtime, stub_broker, worker_factory, tmp_path):
    """A real process dies inside the processing transaction (ticket flushed, not committed)."""
    ((raw_id, _),) = [
        (r.raw_id, r.duplicate) for r in accept(runtime.db, [email_raw(make_email(), "t")], enqueue=False)
    ]
    script = textwrap.dedent(f"""
        import os
        from intake.core.settings import Settings
        from intake.runtime import Runtime
        from intake.pipeline import stages
        from intake.pipeline.process import process_raw
        from store.db import Database
        original = stages.persist
        def persist_then_die(ctx, session, work):
            original(ctx, session, work)
            session.flush()
            os._exit(17)  # killed after writing the ticket, before the commit
        stages.STAGES[[n for n, _ in stages.STAGES].index("persist")] = ("persist", persist_then_die)
        settings = Settings(database_url={runtime.db.url!r}, data_dir={str(tmp_path / "data")!r}, rules_dir={str(runtime.settings.rules_dir)!r})
        process_raw(Runtime(settings=settings, db=Database(settings.database_url)), {raw_id})
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=os.getcwd(), capture_output=True, timeout=120)
    assert result.returncode == 17, result.stderr.decode()[-2000:]
    assert count(runtime.db, Ticket) == 0
    runtime.clock = lambda: utcnow() + timedelta(hours=1)
    assert actors.reconcile_pending(runtime) == [raw_id]
    drain(stub_broker, worker_factory(stub_broker))
    assert count(runtime.db, Ticket) == 1
    with runtime.db.session() as session:
        item = session.get(RawItem, raw_id)
        assert (item.state, item.attempts) == ("processed", 2)


def test_duplicate_messages_processed_concurrently_make_one_ticket(runtime, stub_broker, worker_factory):
    from intake.actors import process_inbound

    worker = worker_factory(stub_broker, threads=4)
    results = accept(runtime.db, [email_raw(make_email(), "t")], enqueue=False)
    for _ in range(6):
        process_inbound.send(results[0].raw_id)
    drain(stub_broker, worker)
    assert count(runtime.db, Ticket) == 1 and count(runtime.db, TicketMessage) == 1


def poison_the_classifier(monkeypatch) -> None:
    """From now on the classify stage raises for mails with the subject "Poison" (and only for them)."""
    original = stages.classify

    def classify_or_fail(ctx, session, work):
        if work.message.subject == "Poison":
            raise RuntimeError("classifier exploded")
        return original(ctx, session, work)

    monkeypatch.setattr(stages, "STAGES", [(n, classify_or_fail if n == "classify" else f) for n, f in stages.STAGES])


def test_item_failing_every_attempt_is_quarantined_and_the_others_go_on(runtime, monkeypatch):
    poison = make_email(subject="Poison", body="this one breaks the classifier")
    healthy = make_email(
        sender="j.carter@example.com",
        name="James Carter",
        subject="Broken window latch",
        body="The window latch in my bedroom is broken, unit 102.",
    )
    results = accept(runtime.db, [email_raw(poison, "t"), email_raw(healthy, "t")], enqueue=False)
    poison_the_classifier(monkeypatch)
    poison_id, healthy_id = (r.raw_id for r in results)
    for attempt in range(runtime.settings.pipeline.max_attempts):
        try:
            process_raw(runtime, poison_id)
        except Exception as exc:
            assert "classifier exploded" in str(exc) and attempt < runtime.settings.pipeline.max_attempts - 1
    assert process_raw(runtime, healthy_id).state == "processed"
    with runtime.db.session() as session:
        item = session.get(RawItem, poison_id)
        assert item.state == "quarantined" and "RuntimeError: classifier exploded" in item.error
        assert item.attempts == runtime.settings.pipeline.max_attempts
    assert count(runtime.db, Ticket) == 1
    assert process_raw(runtime, poison_id).state == "skipped"  # a late duplicate message changes nothing


def test_unparseable_input_is_quarantined_with_the_reason(runtime):
    from intake.core.models import ChannelName, RawInput

    bad = RawInput(
        channel=ChannelName.WHATSAPP, channel_id="wamid.BROKEN", payload=b"{not json", content_type="application/json"
    )
    (result,) = accept(runtime.db, [bad], enqueue=False)
    outcome = process_raw(runtime, result.raw_id)
    assert outcome.state == "quarantined" and outcome.outcome.startswith("held: unparseable")


@pytest.mark.redis
def test_pipeline_on_redis_with_a_real_worker(runtime, redis_broker, worker_factory):
    worker = worker_factory(redis_broker)
    mails = [
        make_email(),
        make_email(
            sender="priya.n@example.org",
            name="Priya Natarajan",
            subject="No heat",
            body="There is no heat in unit 201 and it is 12C inside.",
        ),
    ]
    accept(runtime.db, [email_raw(m, "t") for m in mails])
    accept(runtime.db, [email_raw(mails[0], "again")])  # a redelivery
    drain(redis_broker, worker)
    assert count(runtime.db, Ticket) == 2
    # Redis keeps nothing on disk: a message lost in the broker is re-driven from the database.
    accept(
        runtime.db,
        [email_raw(make_email(sender="tbecker@example.com", name="Tom Becker", subject="Intercom"), "t")],
        enqueue=False,
    )
    runtime.clock = lambda: utcnow() + timedelta(hours=1)
    actors.reconcile_pending(runtime)
    drain(redis_broker, worker)
    assert count(runtime.db, Ticket) == 3


@pytest.mark.redis
def test_on_redis_the_brokers_retries_end_in_quarantine_and_the_others_go_on(
    runtime, redis_broker, worker_factory, monkeypatch
):
    """Dramatiq's own retries (max_attempts - 1 of them, with backoff) drive a failing item into quarantine."""
    poison_the_classifier(monkeypatch)
    worker_factory(redis_broker)  # runs the first attempts and the broker's retries
    poison = make_email(subject="Poison", body="this one breaks the classifier")
    healthy = make_email(
        sender="j.carter@example.com",
        name="James Carter",
        subject="Broken window latch",
        body="The window latch in my bedroom is broken, unit 102.",
    )
    with log_lines("intake.pipeline.process") as pipeline_log:
        poison_id, healthy_id = (
            r.raw_id for r in accept(runtime.db, [email_raw(poison, "t"), email_raw(healthy, "t")])
        )
        # A join can return while a retry waits in Redis' delay queue: the pipeline's log line says when each
        # item is settled (it is written after the commit).
        pipeline_log.wait_for(f"raw {poison_id} quarantined", timeout=60)
        pipeline_log.wait_for(f"raw {healthy_id} processed", timeout=60)
    with runtime.db.session() as session:
        item = session.get(RawItem, poison_id)
        assert item.state == "quarantined" and "RuntimeError: classifier exploded" in item.error
        assert item.attempts == runtime.settings.pipeline.max_attempts
        assert session.get(RawItem, healthy_id).state == "processed"
    assert count(runtime.db, Ticket) == 1


def test_an_overlong_subject_is_clipped_not_quarantined(runtime):
    subject = "URGENT leak " + "please help " * 80  # ~970 characters, as spam and broken clients send
    (result,) = accept(runtime.db, [email_raw(make_email(subject=subject), "t")], enqueue=False)
    assert process_raw(runtime, result.raw_id).state == "processed"
    with runtime.db.session() as session:
        ticket = session.execute(select(Ticket)).scalar_one()
        assert len(ticket.subject) == 500 and ticket.subject.endswith("…") and ticket.subject.startswith("URGENT leak")
        raw = email.message_from_bytes(session.get(RawItem, result.raw_id).payload, policy=email.policy.default)
        assert " ".join(str(raw["Subject"]).split()) == subject.strip()  # the whole subject is kept in the raw item


def test_email_attachments_within_the_limits_are_stored_and_the_rest_recorded(runtime):
    runtime.settings.limits.attachment_max_bytes = 5_000
    msg = email.message_from_bytes(make_email(body="Photos of the leak attached."), policy=email.policy.default)
    photo, scan = b"\xff\xd8\xff\xe0" + os.urandom(3_000), os.urandom(8_000)
    msg.add_attachment(photo, maintype="image", subtype="jpeg", filename="leak.jpg")
    msg.add_attachment(scan, maintype="application", subtype="pdf", filename="scan.pdf")
    (result,) = accept(runtime.db, [email_raw(bytes(msg), "t")], enqueue=False)
    assert process_raw(runtime, result.raw_id).state == "processed"
    with runtime.db.session() as session:
        (message,) = session.execute(select(TicketMessage)).scalars()
        stored = {a.name: a for a in message.attachments}
    assert stored["leak.jpg"].stored and runtime.files.get(stored["leak.jpg"].sha256) == photo
    assert not stored["scan.pdf"].stored and "per-file limit" in stored["scan.pdf"].note
    assert stored["scan.pdf"].size == len(scan)


def test_payment_questions_take_turns_in_billing_and_the_turn_is_kept_in_the_store(runtime):
    from datetime import datetime

    from sqlalchemy import event

    runtime.clock = lambda: datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 in New York
    senders = [
        ("maria@example.net", "Maria Lopez"),
        ("j.carter@example.com", "James Carter"),
        ("priya.n@example.org", "Priya Natarajan"),
    ]
    turn_reads: list[str] = []  # reads of the round-robin turns (`cursors` LIKE 'round-robin:%')

    def record(conn, cursor, statement, *_):
        if "FROM cursors" in statement and "LIKE" in statement:
            turn_reads.append(statement)

    event.listen(runtime.db.engine, "before_cursor_execute", record)
    assignees = []
    for sender, name in senders:
        mail = make_email(
            sender=sender,
            name=name,
            subject="Question about my rent payment",
            body="I paid my rent on the 1st but the portal still shows a late fee. Can you check the payment?",
        )
        (result,) = accept(runtime.db, [email_raw(mail, "t")], enqueue=False)
        number = process_raw(runtime, result.raw_id).ticket_number
        with runtime.db.session() as session:
            ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
            assignees.append((ticket.team, ticket.assignee))
    assert assignees == [("billing", "bea-billing"), ("billing", "ben-billing"), ("billing", "bea-billing")]
    assert len(turn_reads) == 3  # each pick read the turn from the store
    # a plumbing mail picks the least loaded plumber: the round-robin turns are not read for it
    turn_reads.clear()
    (result,) = accept(
        runtime.db, [email_raw(make_email(sender="tbecker@example.com", name="Tom Becker"), "t")], enqueue=False
    )
    process_raw(runtime, result.raw_id)
    event.remove(runtime.db.engine, "before_cursor_execute", record)
    assert turn_reads == []
