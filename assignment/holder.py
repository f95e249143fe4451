"""Hot reload of the assignment rules for the running service (the mechanism is intake/core/hot_reload.py):
keep the last good rules, pick up valid edits, reject invalid ones with file:line and keep them as `last_error`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from assignment.engine import RuleEngine
from assignment.errors import Problem, RulesError
from assignment.loader import FILES as RULE_FILES
from assignment.loader import READ_BESIDE
from intake.core.hot_reload import HolderStatus, HotReload, LoadFailed, file_hashes, read_status
from intake.core.models import Clock, utcnow

FILES = (*RULE_FILES, *READ_BESIDE)  # the rules are checked against the classifiers' names: watch those too
__all__ = ["FILES", "HolderStatus", "RulesHolder", "file_hashes", "read_status"]


class RulesHolder(HotReload[RuleEngine]):
    """The assignment rules in force. The first load must succeed (a service without rules must not start)."""

    def __init__(
        self,
        rules_dir: Path | str,
        *,
        clock: Clock = utcnow,
        check_every: timedelta = timedelta(seconds=2),
        status_file: Path | None = None,
    ):
        try:
            super().__init__(
                rules_dir,
                FILES,
                _load,
                label="rules",
                clock=clock,
                check_every=check_every,
                status_file=status_file,
                count=lambda engine: len(engine.rules),
            )
        except LoadFailed as exc:
            raise RulesError(exc.problems) from None

    @property
    def rules_dir(self) -> Path:
        return self.folder

    @property
    def engine(self) -> RuleEngine:
        """The rules in force, without looking at the files."""
        return self.value


def _load(rules_dir: Path) -> tuple[RuleEngine | None, list[Problem]]:
    try:
        return RuleEngine.load(rules_dir), []
    except RulesError as exc:
        return None, exc.problems
