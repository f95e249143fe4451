"""Hot reload of the classifier's files (taxonomy, urgency, units, billing), like the assignment rules' (the
mechanism is intake/core/hot_reload.py): keep the last good rule set, pick up valid edits, reject broken ones with
file:line:column. The Runtime rebuilds its classifier when the rule set it gets is a new one.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from classifiers.errors import ClassifierConfigError
from classifiers.ruleset import FILES, RuleSet, read_ruleset
from intake.core.hot_reload import HotReload, LoadFailed
from intake.core.models import Clock

STATUS_FILE = "classifier-rules-status.json"


class ClassifierRulesHolder(HotReload[RuleSet]):
    """The classifier rule set in force. The first load must succeed: raises ClassifierConfigError otherwise."""

    def __init__(
        self,
        rules_dir: Path | str,
        *,
        clock: Clock,
        check_every: timedelta = timedelta(seconds=2),
        status_file: Path | None = None,
    ):
        try:
            super().__init__(
                rules_dir,
                FILES,
                read_ruleset,
                label="classifier rules",
                clock=clock,
                check_every=check_every,
                status_file=status_file,
            )
        except LoadFailed as exc:
            raise ClassifierConfigError(exc.problems) from None

    @property
    def rules_dir(self) -> Path:
        return self.folder
