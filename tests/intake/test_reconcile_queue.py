"""While no worker runs, the reconciler keeps one broker message per pending item, not one per sweep (#18
defect 9); a message the broker lost is sent again once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from intake import reconciler
from intake.ingest import accept
from intake.models import ChannelName, RawInput, utcnow

N = 12


def queued(broker) -> int:
    """Messages the Redis broker holds for the inbound queue (waiting or delayed)."""
    base = f"{broker.namespace}:inbound"
    return broker.client.hlen(f"{base}.msgs") + broker.client.hlen(f"{base}.DQ.msgs")


def pending_items(db, n: int) -> list[int]:
    raws = [RawInput(channel=ChannelName.WHATSAPP, channel_id=f"wamid.queue-{i}", payload=b"{}",
                     content_type="application/json") for i in range(n)]
    return [result.raw_id for result in accept(db, raws)]  # stored, sent in batch messages (no worker runs)


@pytest.mark.redis
def test_sweeps_without_a_worker_leave_one_message_per_item(runtime, redis_broker, monkeypatch):
    from intake.config import get_settings

    monkeypatch.setattr(get_settings().pipeline, "batch_size", 1)  # a message per item: the length counts copies
    pending_items(runtime.db, N)
    lengths = [queued(redis_broker)]
    for hours in (1, 2, 3, 4):  # every sweep sees the items stale and their messages older than the lease
        runtime.clock = lambda hours=hours: utcnow() + timedelta(hours=hours)
        assert reconciler.reconcile_pending(runtime) == []
        lengths.append(queued(redis_broker))
    print("inbound queue length after each sweep:", lengths)
    assert lengths == [N] * 5


@pytest.mark.redis
def test_messages_the_broker_lost_are_sent_again_once(runtime, redis_broker):
    ids = pending_items(runtime.db, N)  # batch messages of pipeline.batch_size items
    redis_broker.flush_all()  # Redis restarted without its data
    runtime.clock = lambda: utcnow() + timedelta(hours=1)
    assert sorted(reconciler.reconcile_pending(runtime)) == ids
    assert queued(redis_broker) == N  # re-driven items go one a message
    runtime.clock = lambda: utcnow() + timedelta(hours=2)
    assert reconciler.reconcile_pending(runtime) == [] and queued(redis_broker) == N
