"""Hot reload of the files in `rules/` for the running service: keep the last good version, pick up valid edits,
reject broken ones with file:line:column.

The assignment rules (assignment/holder.py) and the classifier's files (intake/classifier_rules.py) are both held by
`HotReload`. `current()` is on every item's path, so it only compares the clock with the last check; at most every
`check_every` it hashes the files (they are small: hashing is cheaper than trusting coarse mtimes), and only a
changed hash reads them again. A broken edit is logged, kept as `last_error` and not read again until its content
changes. The status goes to a JSON file that `intake rules status` reads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from intake.core.errors import OperatorError
from intake.core.models import Clock
from intake.core.problems import Problem

log = logging.getLogger(__name__)
T = TypeVar("T")


class HolderStatus(BaseModel):
    rules_dir: str
    loaded_at: datetime | None = None
    hashes: dict[str, str] = Field(default_factory=dict)  # of the files in force
    rules: int = 0
    last_error: list[Problem] = Field(default_factory=list)  # empty: the last reload succeeded
    last_error_at: datetime | None = None
    rejected_hashes: dict[str, str] = Field(default_factory=dict)  # the content that was rejected


class LoadFailed(OperatorError):
    """The files of the first load are broken: a service without good rules must not start."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def file_hashes(folder: Path, names: Iterable[str]) -> dict[str, str]:
    """sha256 of each of `names` that exists in `folder`."""
    return {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in names if (folder / name).is_file()
    }


def read_status(status_file: Path) -> HolderStatus | None:
    """The status a running service last wrote, or None."""
    try:
        return HolderStatus.model_validate(json.loads(status_file.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


class HotReload(Generic[T]):
    """What `load(folder)` makes of the files `names`: `(value, [])`, or `(None, problems)` when they are broken."""

    def __init__(
        self,
        folder: Path | str,
        names: Iterable[str],
        load: Callable[[Path], tuple[T | None, list[Problem]]],
        *,
        label: str,
        clock: Clock,
        check_every: timedelta = timedelta(seconds=2),
        status_file: Path | None = None,
        count: Callable[[T], int] = lambda value: 0,
    ):
        self.folder, self.names, self.load, self.label = Path(folder), tuple(names), load, label
        self.clock, self.check_every, self.status_file, self.count = clock, check_every, status_file, count
        self._lock = threading.Lock()
        hashes = file_hashes(self.folder, self.names)
        value, problems = load(self.folder)
        if value is None:
            raise LoadFailed(problems)
        self._value, self._hashes, self._checked_at = value, hashes, self.clock()
        self._in_force(hashes)

    @property
    def value(self) -> T:
        """The version in force, without looking at the files."""
        return self._value

    def current(self) -> T:
        """The version in force, read again first when a file changed (looked at most every `check_every`)."""
        if self.clock() - self._checked_at >= self.check_every:
            self.refresh()
        return self._value

    def refresh(self) -> bool:
        """Read the files again if any changed; True when a new version came into force."""
        with self._lock:
            self._checked_at = self.clock()
            try:
                hashes = file_hashes(self.folder, self.names)
            except OSError as exc:  # a file replaced mid-read: try again at the next check
                log.warning("%s in %s could not be read: %s", self.label, self.folder, exc)
                return False
            if hashes == self._hashes or hashes == self.status.rejected_hashes:
                return False  # touched but not changed, or the same broken content as before
            value, problems = self._load_guarded()
            if value is None:
                self.status.last_error, self.status.last_error_at = problems, self._checked_at
                self.status.rejected_hashes = hashes
                log.error(
                    "%s in %s rejected, the previous %s stay in force:\n%s",
                    self.label,
                    self.folder,
                    self.label,
                    "\n".join(str(p) for p in problems),
                )
                self._write_status()
                return False
            self._value, self._hashes = value, hashes
            self._in_force(hashes)
            log.info("%s in %s reloaded", self.label, self.folder)
            return True

    def _load_guarded(self) -> tuple[T | None, list[Problem]]:
        """A loader that raises (a YAML alias loop, a bug) is a rejected version too, never an error on every
        item's path: the last good version stays in force."""
        try:
            return self.load(self.folder)
        except Exception as exc:  # noqa: BLE001 - whatever it was, the files are not usable
            return None, [Problem(file=str(self.folder), message=f"could not be read: {type(exc).__name__}: {exc}")]

    def _in_force(self, hashes: dict[str, str]) -> None:
        self.status = HolderStatus(
            rules_dir=str(self.folder), loaded_at=self._checked_at, hashes=hashes, rules=self.count(self._value)
        )
        self._write_status()

    def _write_status(self) -> None:
        """Write the status for `intake rules status`. The web process, every worker and the beat write it: each
        through a temporary file of its own, replaced atomically; a failed write is logged, never raised."""
        if self.status_file is None:
            return
        try:
            self.status_file.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.status_file.parent, prefix=self.status_file.name + ".")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(self.status.model_dump_json(indent=2))
            os.replace(temporary, self.status_file)  # atomic: `rules status` never reads half a file
        except OSError as exc:
            log.warning("%s status could not be written to %s: %s", self.label, self.status_file, exc)
