"""End to end on the real Redis broker with a real worker: a mail APPENDed to Dovecot becomes a ticket."""

from __future__ import annotations

from sqlalchemy import select

from intake.channels.email.imap import poll_once
from store.models import Ticket, TicketMessage
from tests.intake.channels.email.imap.conftest import append, server_flags, stored, tenant_mail


def test_a_mail_appended_to_dovecot_becomes_a_ticket(dovecot, mailbox, runtime, redis_broker, worker_factory, db):
    mail = tenant_mail(3)
    append(dovecot, mailbox.username, [mail])
    worker = worker_factory(redis_broker)

    result = poll_once(runtime, mailbox)
    redis_broker.join("inbound")
    worker.join()

    assert result.stored == 1
    [item] = stored(db)
    assert item.state == "processed" and item.ticket_id is not None
    with db.session() as session:
        ticket = session.get(Ticket, item.ticket_id)
        message = session.execute(select(TicketMessage).where(TicketMessage.raw_id == item.id)).scalar_one()
        assert ticket.subject == "Mould is spreading behind the wardrobe (flat 103)"
        assert ticket.requester == "tenant3@example.org"
        assert message.message_id_header == "<mail-3@tenants.example.org>"
    assert b"\\Seen" in server_flags(dovecot, mailbox.username)[1]
