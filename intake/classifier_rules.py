"""Hot reload of the classifier's files (taxonomy, urgency, units, billing), like the assignment rules': keep the
last good rule set, pick up valid edits, reject broken ones with file:line:column.

`current()` is on every item's path, so it only compares the clock with the last check; at most every
`check_every` it hashes the four small files, and only a changed hash re-reads them. The Runtime rebuilds its
classifier when the rule set it returns is a new one. The status goes to a JSON file `intake rules status` reads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from assignment.holder import HolderStatus, file_hashes
from classifiers.errors import ClassifierConfigError
from classifiers.ruleset import FILES, RuleSet, read_ruleset

log = logging.getLogger(__name__)
STATUS_FILE = "classifier-rules-status.json"


class ClassifierRulesHolder:
    """The classifier rule set in force. The first load must succeed: raises ClassifierConfigError otherwise."""

    def __init__(self, rules_dir: Path | str, *, clock: Callable[[], datetime],
                 check_every: timedelta = timedelta(seconds=2), status_file: Path | None = None):
        self.rules_dir, self.clock, self.check_every, self.status_file = Path(rules_dir), clock, check_every, status_file
        self._lock = threading.Lock()
        hashes = file_hashes(self.rules_dir, FILES)
        ruleset, problems = read_ruleset(self.rules_dir)
        if ruleset is None:
            raise ClassifierConfigError(problems)
        self._ruleset, self._hashes, self._checked_at = ruleset, hashes, self.clock()
        self.status = HolderStatus(rules_dir=str(self.rules_dir), loaded_at=self._checked_at, hashes=hashes)
        self._write_status()

    def current(self) -> RuleSet:
        """The rule set in force, re-read first when a file changed (looked at most every `check_every`)."""
        if self.clock() - self._checked_at >= self.check_every:
            self.refresh()
        return self._ruleset

    def refresh(self) -> bool:
        """Re-read if any file changed; True when a new rule set came into force."""
        with self._lock:
            self._checked_at = self.clock()
            try:
                hashes = file_hashes(self.rules_dir, FILES)
            except OSError as exc:  # a file replaced mid-read: try again at the next check
                log.warning("classifier rules in %s could not be read: %s", self.rules_dir, exc)
                return False
            if hashes == self._hashes or hashes == self.status.rejected_hashes:
                return False
            ruleset, problems = read_ruleset(self.rules_dir)
            if ruleset is None:
                self.status.last_error, self.status.last_error_at = problems, self._checked_at
                self.status.rejected_hashes = hashes
                log.error("classifier rules in %s rejected, the previous ones stay in force:\n%s", self.rules_dir,
                          "\n".join(str(p) for p in problems))
                self._write_status()
                return False
            self._ruleset, self._hashes = ruleset, hashes
            self.status = HolderStatus(rules_dir=str(self.rules_dir), loaded_at=self._checked_at, hashes=hashes)
            log.info("classifier rules in %s reloaded", self.rules_dir)
            self._write_status()
            return True

    def _write_status(self) -> None:
        if self.status_file is None:
            return
        self.status_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.status_file.with_suffix(".tmp")
        temporary.write_text(self.status.model_dump_json(indent=2), encoding="utf-8")
        temporary.replace(self.status_file)  # atomic: `rules status` never reads half a file
