"""A follow-up and a staff merge at the same time (PostgreSQL, where they really run side by side).

The follow-up's ticket was loaded by threading early in its transaction; a merge committing before the follow-up
is stored must send the message to the ticket the merged one went to, not leave it on the merged ticket.
"""

from __future__ import annotations

from email.utils import make_msgid

import pytest

from intake.cli.links import merge
from intake.pipeline import stages
from tests.intake.channels.email.threading.test_pipeline import deliver, eml, load
from tests.intake.pipeline.test_followup_policy import T0

MARIA = "maria@example.net"


@pytest.mark.parametrize("db", ["postgres"], indirect=True)  # SQLite serialises writers: no merge can commit inside
def test_a_merge_committed_between_threading_and_storing_sends_the_follow_up_to_the_merged_into_ticket(
    runtime, stub_broker, monkeypatch
):
    runtime.clock = lambda: T0
    first_id = make_msgid(domain="example.net")
    deliver(runtime, eml(MARIA, subject="Leak under the kitchen sink", body="Slow leak under the sink in 101."))
    deliver(
        runtime,
        eml(
            MARIA,
            subject="Cabinet floor soaked",
            message_id=first_id,
            body="The cabinet under the kitchen sink is soaked and the wood is swelling.",
        ),
    )

    def staff_merges_meanwhile(ctx, session, work):  # another session, committed while this one is open
        merge(runtime, "EML-000001", "EML-000002", actor="dora-dispatch")

    at = [name for name, _ in stages.STAGES].index("persist")
    monkeypatch.setattr(stages, "STAGES", [*stages.STAGES[:at], ("merge", staff_merges_meanwhile), *stages.STAGES[at:]])
    reply = deliver(
        runtime,
        eml(
            MARIA,
            subject="Re: Cabinet floor soaked",
            in_reply_to=first_id,
            references=[first_id],
            body="Photo of the cabinet attached.",
        ),
    )
    assert reply.ticket_number == "EML-000001"
    assert load(runtime, "EML-000002").messages == []
    assert [m.subject for m in load(runtime, "EML-000001").messages][-1] == "Re: Cabinet floor soaked"
