"""Hot reload for the running service: keep the last good rules, pick up valid edits, reject invalid ones.

`current()` looks at the files at most every `check_every` (by the injected clock): when a file's content hash
changed (the files are small; hashing is cheaper than trusting coarse mtimes) it reloads; a broken edit is logged with file:line and kept as `last_error`, and the
previous engine stays in force. The status is written to a JSON file so `intake rules status` can show it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, Field

from assignment.engine import RuleEngine
from assignment.errors import Problem, RulesError
from assignment.loader import FILES

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    from intake.models import utcnow

    return utcnow()


class HolderStatus(BaseModel):
    rules_dir: str
    loaded_at: datetime | None = None
    hashes: dict[str, str] = Field(default_factory=dict)  # of the rules in force
    rules: int = 0
    last_error: list[Problem] = Field(default_factory=list)  # empty: the last reload succeeded
    last_error_at: datetime | None = None
    rejected_hashes: dict[str, str] = Field(default_factory=dict)  # the content that was rejected


def file_hashes(rules_dir: Path, names=FILES) -> dict[str, str]:
    """sha256 of each rules file (of `names`: the assignment rules' by default) that exists."""
    return {name: hashlib.sha256((rules_dir / name).read_bytes()).hexdigest()
            for name in names if (rules_dir / name).is_file()}


class RulesHolder:
    """The rules in force. The first load must succeed (a service without rules must not start)."""

    def __init__(self, rules_dir: Path | str, *, clock: Callable[[], datetime] = _utcnow,
                 check_every: timedelta = timedelta(seconds=2), status_file: Path | None = None):
        self.rules_dir, self.clock, self.check_every, self.status_file = Path(rules_dir), clock, check_every, status_file
        self._lock = threading.Lock()
        self._engine = RuleEngine.load(self.rules_dir)
        self._checked_at = self.clock()
        self.status = HolderStatus(rules_dir=str(self.rules_dir), loaded_at=self._checked_at,
                                   hashes=self._engine.hashes, rules=len(self._engine.rules))
        self._write_status()

    @property
    def engine(self) -> RuleEngine:
        """The rules in force, without looking at the files."""
        return self._engine

    def current(self) -> RuleEngine:
        """The rules in force, reloading first when the files changed (checked at most every `check_every`)."""
        if self.clock() - self._checked_at >= self.check_every:
            self.refresh()
        return self._engine

    def refresh(self) -> bool:
        """Reload if any file changed; True when new rules came into force."""
        with self._lock:
            self._checked_at = self.clock()
            try:
                hashes = file_hashes(self.rules_dir)
            except OSError as exc:  # a file replaced mid-read: try again at the next check
                log.warning("rules in %s could not be read: %s", self.rules_dir, exc)
                return False
            if hashes == self._engine.hashes or hashes == self.status.rejected_hashes:
                return False  # touched but not changed, or the same broken content as before
            try:
                engine = RuleEngine.load(self.rules_dir)
            except RulesError as exc:
                self.status.last_error, self.status.last_error_at = exc.problems, self._checked_at
                self.status.rejected_hashes = hashes
                log.error("rules in %s rejected, the previous rules stay in force:\n%s", self.rules_dir, exc)
                self._write_status()
                return False
            self._engine = engine
            self.status = HolderStatus(rules_dir=str(self.rules_dir), loaded_at=self._checked_at,
                                       hashes=engine.hashes, rules=len(engine.rules))
            log.info("rules in %s reloaded: %d rules", self.rules_dir, len(engine.rules))
            self._write_status()
            return True

    def _write_status(self) -> None:
        if self.status_file is None:
            return
        self.status_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.status_file.with_suffix(".tmp")
        temporary.write_text(self.status.model_dump_json(indent=2), encoding="utf-8")
        temporary.replace(self.status_file)  # atomic: `rules status` never reads half a file


def read_status(status_file: Path) -> HolderStatus | None:
    """The status a running service last wrote, or None."""
    try:
        return HolderStatus.model_validate(json.loads(status_file.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
