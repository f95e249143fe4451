"""An SMTP server that keeps refusing: the message is tried `email.smtp_max_attempts` times, ends `failed` with
the server's answer, shows in `tickets show` and `intake outbox list`, and the reconciler leaves it alone."""

from __future__ import annotations

import json
import smtplib
from datetime import timedelta

import pytest
from click.testing import CliRunner

from intake.actors import reconcile_pending
from intake.core.settings import get_settings
from intake.reconciler import queued_outbound
from outbound.service import send_outbound
from tests.intake.pipeline.test_pipeline import make_email
from tests.outbound.test_acknowledgements import events, ingest, outbound_rows


@pytest.fixture
def failing(runtime, refusing_smtp):
    email_settings = runtime.settings.email.model_copy(
        update={"auto_acknowledge": True, "smtp_port": refusing_smtp.port, "smtp_max_attempts": 2}
    )
    pipeline = runtime.settings.pipeline.model_copy(update={"reconcile_after_seconds": 0})
    runtime.settings = runtime.settings.model_copy(update={"email": email_settings, "pipeline": pipeline})
    return runtime


def test_a_refused_email_ends_failed_and_the_reconciler_stops_sending_it(
    failing, refusing_smtp, stub_broker, worker_factory
):
    ingest(failing, make_email())
    (ack,) = outbound_rows(failing)
    with pytest.raises(smtplib.SMTPDataError):  # a try left: the broker's retry (or the reconciler) comes back
        send_outbound(failing, ack.id)
    (ack,) = outbound_rows(failing)
    assert (ack.delivery_status, ack.delivery_attempts) == ("queued", 1) and "451" in ack.delivery_error

    worker_factory(stub_broker, threads=1)
    reconcile_pending(failing)  # still queued: re-sent, and this second try is the last
    stub_broker.join("outbound")
    (ack,) = outbound_rows(failing)
    assert (ack.delivery_status, ack.delivery_attempts) == ("failed", 2)
    assert ack.delivery_error.startswith("SMTPDataError: (451") and refusing_smtp.tries == 2
    (event,) = events(failing, "message-failed")
    assert "not sent after 2 attempts" in event.reason

    assert queued_outbound(failing, older_than=timedelta(0)) == []
    reconcile_pending(failing)
    stub_broker.join("outbound")
    assert refusing_smtp.tries == 2 and outbound_rows(failing)[0].delivery_status == "failed"


def test_a_failed_email_shows_in_tickets_show_and_outbox_list(failing, refusing_smtp, monkeypatch):
    from intake.cli.main import cli

    ingest(failing, make_email())
    (ack,) = outbound_rows(failing)
    for _ in range(2):
        try:
            send_outbound(failing, ack.id)
        except smtplib.SMTPDataError:
            pass
    monkeypatch.setenv("INTAKE_DATABASE_URL", failing.db.url)
    monkeypatch.setenv("INTAKE_DATA_DIR", str(failing.settings.data_dir))
    monkeypatch.setenv("INTAKE_RULES_DIR", str(failing.settings.rules_dir))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        shown = runner.invoke(cli, ["tickets", "show", "EML-000001"], catch_exceptions=False)
        listed = runner.invoke(cli, ["outbox", "list", "--state", "failed", "--format", "json"], catch_exceptions=False)
        table = runner.invoke(cli, ["outbox", "list"], catch_exceptions=False)
        sent = runner.invoke(cli, ["outbox", "list", "--state", "sent", "--format", "json"], catch_exceptions=False)
        one = runner.invoke(cli, ["outbox", "show", str(ack.id)], catch_exceptions=False)
    finally:
        get_settings.cache_clear()
    assert "outbound:" in shown.stdout and "failed (2 attempts) — SMTPDataError: (451" in shown.stdout
    (row,) = json.loads(listed.stdout)
    assert row["ticket"] == "EML-000001" and row["state"] == "failed" and row["attempts"] == 2
    assert row["to"] == ["maria@example.net"] and "451" in row["error"]
    assert "EML-000001" in table.stdout and "failed" in table.stdout and "1 outbound messages" in table.stdout
    assert json.loads(sent.stdout) == []
    assert json.loads(one.stdout)["error"] == row["error"]
