"""What a process needs to run the pipeline: settings, database, file store, classifier, rules, clock.

One `Runtime` per process, set by the CLI (or a test) with `set_runtime`; actors read it with `get_runtime`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from assignment import RulesHolder
from intake.core.models import Clock, utcnow
from intake.core.settings import Settings, get_settings
from store import registry_db
from store.cursors import get_cursor
from store.db import Database
from store.files import FileStore

if TYPE_CHECKING:
    from classifiers import Classifier
    from intake.classifier_rules import ClassifierRulesHolder

REGISTRY_VERSION = "registry-version"


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock = utcnow
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _classifier: Classifier | None = field(default=None, repr=False)
    _classifier_version: str | None = field(default=None, repr=False)
    _rules: RulesHolder | None = field(default=None, repr=False)
    _classifier_rules: ClassifierRulesHolder | None = field(default=None, repr=False)

    @property
    def files(self) -> FileStore:
        return FileStore(self.settings.data_dir)

    def classifier(self, session: Session | None = None) -> Classifier:
        """The classifier for the current registry; rebuilt when `intake registry import` changed it.
        The version check reads `session` when given (the pipeline's own transaction), else a new one."""
        if session is not None:
            return self._current_classifier(session)
        with self.db.session() as own:
            return self._current_classifier(own)

    def _current_classifier(self, session: Session) -> Classifier:
        # lazy: classifiers loads spaCy, which processes that only enqueue (web, beat) never need
        from classifiers import Classifier

        ruleset = self.classifier_rules().current()  # cheap: a clock comparison, files hashed every 2 s
        version = get_cursor(session, REGISTRY_VERSION)
        with self._lock:
            current = self._classifier
            if current is None or version != self._classifier_version or current.rules is not ruleset:
                registry = (
                    current.registry
                    if current is not None and version == self._classifier_version
                    else registry_db.load(session)
                )
                self._classifier = Classifier(ruleset, registry, self.settings.classification.review_threshold)
                self._classifier_version = version
            return self._classifier

    def classifier_rules(self) -> ClassifierRulesHolder:
        """The classifier's files in force: last good taxonomy/urgency/units/billing, reloaded when they change.
        Raises ClassifierConfigError when there is no good version yet."""
        # lazy: classifiers loads spaCy, which processes that only enqueue (web, beat) never need
        from intake.classifier_rules import STATUS_FILE, ClassifierRulesHolder

        with self._lock:
            if self._classifier_rules is None:
                self._classifier_rules = ClassifierRulesHolder(
                    self.settings.rules_dir, clock=self.clock, status_file=self.settings.data_dir / STATUS_FILE
                )
            return self._classifier_rules

    def rules(self) -> RulesHolder:
        """The rules holder: last good rules from `rules_dir`, reloaded when the files change."""
        with self._lock:
            if self._rules is None:
                self._rules = RulesHolder(
                    self.settings.rules_dir, clock=self.clock, status_file=self.settings.data_dir / "rules-status.json"
                )
            return self._rules


_current: Runtime | None = None


def set_runtime(runtime: Runtime | None) -> None:
    global _current
    _current = runtime


def get_runtime() -> Runtime:
    """The process's runtime, built from the environment's settings if nobody set one."""
    global _current
    if _current is None:
        settings = get_settings()
        _current = Runtime(settings=settings, db=Database(settings.database_url))
    return _current
