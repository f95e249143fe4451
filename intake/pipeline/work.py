"""What flows between pipeline stages: one `Work` item per raw item, and the `Verdict` that ends it early."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from intake.channels.base import RawRecord
from intake.core.after_commit import AfterCommit
from intake.core.models import InboundMessage, ThreadCandidate, ThreadMatch


@dataclass(frozen=True)
class Verdict:
    """An expected end of processing that is not an error: dropped auto-reply, delivery report, held mail."""

    outcome: str  # stored on the raw item, e.g. "dropped: auto-replied"
    quarantine: bool = False  # held for a human (`intake quarantine`) instead of done

    @classmethod
    def drop(cls, reason: str) -> Verdict:
        return cls(f"dropped: {reason}")

    @classmethod
    def hold(cls, reason: str) -> Verdict:
        return cls(f"held: {reason}", quarantine=True)


@dataclass
class Work:
    """The state of one raw item on its way through the stages; each stage fills in its part."""

    raw: RawRecord
    message: InboundMessage | None = None
    attachment_contents: dict[str, bytes] = field(default_factory=dict)  # sha256 → bytes the channel delivered
    thread: ThreadMatch = field(default_factory=ThreadMatch)
    candidates: list[ThreadCandidate] = field(default_factory=list)  # the tickets `thread` weighed
    classification: Any | None = None  # classifiers.Classification, for new tickets
    ticket: Any | None = None  # store.models.Ticket once persisted
    is_new_ticket: bool = False
    outcome: str = ""
    classifier: Any | None = None  # the registry's classifier, looked up once per item (see `classifier_of`)
    after_commit: list[AfterCommit] = field(default_factory=list)  # broker messages to send once committed
    on_commit: list[Callable[[], None]] = field(default_factory=list)  # e.g. log lines, once the item is committed


def classifier_of(ctx, session, work: Work):
    """The classifier for this item: the registry version is checked once, in the item's own transaction
    (or, for a batch, once just before its claim). Its registry is what the transaction reads properties from."""
    if work.classifier is None:
        work.classifier = ctx.classifier(session)
        session.info["registry"] = work.classifier.registry
    return work.classifier
