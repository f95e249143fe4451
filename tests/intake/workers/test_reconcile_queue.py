"""While no worker runs, the reconciler keeps one broker message per pending item, not one per sweep (#18
defect 9); a message the broker lost is sent again once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from intake import actors, reconciler
from intake.core.models import ChannelName, RawInput, utcnow
from intake.ingest import accept

N = 12


def queued(broker) -> int:
    """Messages the Redis broker holds for the inbound queue (waiting or delayed)."""
    base = f"{broker.namespace}:inbound"
    return broker.client.hlen(f"{base}.msgs") + broker.client.hlen(f"{base}.DQ.msgs")


def pending_items(db, n: int, prefix: str = "queue") -> list[int]:
    raws = [
        RawInput(
            channel=ChannelName.WHATSAPP,
            channel_id=f"wamid.{prefix}-{i}",
            payload=b"{}",
            content_type="application/json",
        )
        for i in range(n)
    ]
    return [result.raw_id for result in accept(db, raws)]  # stored, sent in batch messages (no worker runs)


@pytest.mark.redis
def test_sweeps_without_a_worker_leave_one_message_per_item(runtime, redis_broker, monkeypatch):
    from intake.core.settings import get_settings

    monkeypatch.setattr(get_settings().pipeline, "batch_size", 1)  # a message per item: the length counts copies
    pending_items(runtime.db, N)
    lengths = [queued(redis_broker)]
    for hours in (1, 2, 3, 4):  # every sweep sees the items stale and their messages older than the lease
        runtime.clock = lambda hours=hours: utcnow() + timedelta(hours=hours)
        assert actors.reconcile_pending(runtime) == []
        lengths.append(queued(redis_broker))
    print("inbound queue length after each sweep:", lengths)
    assert lengths == [N] * 5


@pytest.mark.redis
def test_messages_the_broker_lost_are_sent_again_once(runtime, redis_broker):
    ids = pending_items(runtime.db, N)  # batch messages of pipeline.batch_size items
    redis_broker.flush_all()  # Redis restarted without its data
    runtime.clock = lambda: utcnow() + timedelta(hours=1)
    assert sorted(actors.reconcile_pending(runtime)) == ids
    assert queued(redis_broker) == N  # re-driven items go one a message
    runtime.clock = lambda: utcnow() + timedelta(hours=2)
    assert actors.reconcile_pending(runtime) == [] and queued(redis_broker) == N


def lose_messages(runtime, broker, raw_ids: list[int]) -> None:
    """Redis loses these items' messages (and no other's)."""
    from sqlalchemy import select

    from store.models import RawItem

    with runtime.db.session() as session:
        messages = set(session.execute(select(RawItem.enqueued_message).where(RawItem.id.in_(raw_ids))).scalars())
    assert None not in messages
    broker.client.hdel(f"{broker.namespace}:inbound.msgs", *messages)


@pytest.mark.redis
def test_old_items_waiting_in_the_broker_do_not_hide_newer_ones_that_lost_or_never_got_a_message(runtime, redis_broker):
    held = pending_items(runtime.db, reconciler.RESEND_LIMIT + 5)  # a backed-up queue: no worker runs
    lost = pending_items(runtime.db, 3, prefix="lost")
    lose_messages(runtime, redis_broker, lost)
    never_sent = [
        r.raw_id
        for r in accept(
            runtime.db,
            [
                RawInput(
                    channel=ChannelName.WHATSAPP,
                    channel_id=f"wamid.unsent-{i}",
                    payload=b"{}",
                    content_type="application/json",
                )
                for i in range(2)
            ],
            enqueue=False,
        )
    ]  # the broker was down
    assert max(held) < min(lost) < min(never_sent)
    runtime.clock = lambda: utcnow() + timedelta(hours=1)
    assert sorted(actors.reconcile_pending(runtime)) == sorted(lost + never_sent)
    runtime.clock = lambda: utcnow() + timedelta(hours=2)
    assert actors.reconcile_pending(runtime) == []  # each one message again, the held ones none
