"""The hot-reload mechanism of rules/ (intake/core/hot_reload.py) on a small file of its own."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

from intake.core.hot_reload import HotReload, read_status
from intake.core.problems import Problem


class Clock:
    def __init__(self):
        self.now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _load(folder):
    text = (folder / "value.txt").read_text(encoding="utf-8")
    if text.startswith("boom"):
        raise RecursionError("maximum recursion depth exceeded")  # what a YAML alias loop did to the reader
    if text.startswith("bad"):
        return None, [Problem(file="value.txt", line=1, message="bad value")]
    return text, []


def test_a_loader_that_raises_is_a_rejected_version_and_the_last_good_one_stays(tmp_path):
    (tmp_path / "value.txt").write_text("one", encoding="utf-8")
    clock, status_file = Clock(), tmp_path / "status.json"
    held = HotReload(tmp_path, ["value.txt"], _load, label="things", clock=clock, status_file=status_file)
    (tmp_path / "value.txt").write_text("boom", encoding="utf-8")
    clock.now += timedelta(seconds=5)
    assert held.current() == "one"  # never raises on the item's path
    assert "RecursionError" in held.status.last_error[0].message
    assert held.refresh() is False  # the same content is not read again
    assert read_status(status_file).last_error[0].message == held.status.last_error[0].message
    (tmp_path / "value.txt").write_text("two", encoding="utf-8")
    clock.now += timedelta(seconds=5)
    assert held.current() == "two" and held.status.last_error == []


def test_many_holders_write_one_status_file_without_failing(tmp_path):
    """The web process, the workers and the beat each write the same status file."""
    (tmp_path / "value.txt").write_text("one", encoding="utf-8")
    status_file = tmp_path / "status.json"
    holders = [
        HotReload(tmp_path, ["value.txt"], _load, label="things", clock=Clock(), status_file=status_file)
        for _ in range(6)
    ]
    failures: list[BaseException] = []

    def write_often(holder):
        try:
            for _ in range(200):
                holder._write_status()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            failures.append(exc)

    threads = [threading.Thread(target=write_often, args=(holder,)) for holder in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert json.loads(status_file.read_text(encoding="utf-8"))["hashes"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["status.json", "value.txt"]  # no temporary left
