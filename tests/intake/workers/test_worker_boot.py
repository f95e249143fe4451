"""A worker process gets ready at boot: classifier built, its heap frozen out of the collector's way."""

from __future__ import annotations

import gc

import dramatiq

from intake.broker import build_broker


def test_a_worker_builds_its_classifier_at_boot_and_freezes_what_it_loaded(runtime):
    broker = build_broker(runtime.settings.model_copy(update={"redis_url": None}))
    assert runtime._classifier is None and gc.get_freeze_count() == 0
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=1)
    worker.start()
    try:
        assert runtime._classifier is not None  # the first message will not wait for the models
        assert gc.get_freeze_count() > 10_000
    finally:
        worker.stop()
        broker.close()
    assert gc.get_freeze_count() == 0  # a stopped worker leaves nothing uncollectable in a longer-lived process
