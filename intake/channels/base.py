"""The contract every channel meets (`Channel`), and the defaults most channels keep (`BaseChannel`).

Pull channels (IMAP, QContact poller) and push channels (webhooks) both end in `intake.ingest.accept(raw)`;
later the worker asks the channel to `parse` the stored item into an `InboundMessage` and to find the ticket
it continues. A channel is one package under `intake/channels/` whose `CHANNEL` is an object meeting
`Channel` (see `registry.py`): the pipeline, the web app, the pollers and `intake ingest` loop over them.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from intake.channels.conversation import match_conversation
from intake.channels.payload import PayloadError, Split, rejected_raw, split_or_reject
from intake.channels.webhook import Webhook
from intake.core.errors import OperatorError, SenderError
from intake.core.models import ChannelName, InboundMessage, RawInput, ThreadCandidate, ThreadMatch
from intake.core.settings import Settings
from intake.runtime import Runtime

AttachmentContents = dict[str, bytes]  # sha256 → the bytes of an attachment the raw item carries
Poller = tuple[str, Coroutine[Any, Any, None]]  # a task name, and the loop it runs until cancelled


class RawRecord(BaseModel):
    """A stored raw item as the worker hands it to a channel's parser."""

    model_config = ConfigDict(frozen=True)

    id: int
    channel: ChannelName
    channel_id: str
    payload: bytes
    content_type: str
    source: str | None = None
    received_at: datetime


class ParseError(SenderError):
    """The raw item cannot become a message; the text says why (it is stored as the quarantine reason)."""


class SourceError(OperatorError):
    """Files cannot be read as asked (the operator's to fix: a channel to name, a broken mapping)."""


class SourceItem(BaseModel):
    """One raw input found in a file, or the reason a part of the file is unusable (kept in quarantine)."""

    raw: RawInput
    problem: str | None = None


@dataclass(frozen=True)
class ThreadContext:
    """What the thread stage knows beyond the message and its candidates."""

    settings: Settings
    clock: Callable[[], datetime]  # read by the matchers that weigh time since the last message
    homes: Callable[[], set[tuple[str, str]]]  # the sender's registered (property, unit); read only when asked


class Channel(Protocol):
    """What the rest of intake needs from a channel."""

    name: ChannelName
    ticket_prefix: str  # e.g. "EML": tickets opened from this channel are numbered EML-000123
    threads: bool  # False: every message opens a new ticket (staff reports)
    sender: object | None  # outbound's sender for this channel (issue #19); None: it cannot send yet
    file_suffixes: frozenset[str]  # the files of a folder `intake ingest` reads as this channel's

    def parse(self, raw: RawRecord, settings: Settings) -> InboundMessage:
        """Turn one stored raw item into a message; raise `ParseError` with a reason when it cannot."""
        ...

    def parse_with_contents(self, raw: RawRecord, settings: Settings) -> tuple[InboundMessage, AttachmentContents]:
        """`parse`, with the bytes of the attachments the raw item carries within the limits (for the file
        store); empty for channels whose media are fetched later."""
        ...

    def subject_filter(self, message: InboundMessage) -> Callable[[str], bool] | None:
        """Which recent tickets of other senders are candidates by their subject; None: none are."""
        ...

    def match_thread(
        self, message: InboundMessage, candidates: list[ThreadCandidate], context: ThreadContext
    ) -> ThreadMatch:
        """The ticket among `candidates` (never empty) this message continues, with the signal and evidence."""
        ...

    def webhooks(self, settings: Settings) -> list[Webhook]:
        """The routes this channel adds to the web app (push channels); raises when its configuration is unusable."""
        ...

    def pollers(self, runtime: Runtime) -> list[Poller]:
        """The loops `intake run` keeps going for this channel (pull channels), as configured."""
        ...

    def read_file(self, path: Path, settings: Settings) -> Iterator[SourceItem]:
        """The raw items of one saved file of this channel (`intake ingest`, `intake demo`)."""
        ...

    def read_folder(self, path: Path, settings: Settings) -> Iterator[SourceItem] | None:
        """The raw items of a folder that is this channel's as a whole (a maildir); None for any other folder."""
        ...


class BaseChannel:
    """The defaults: a chat channel that threads by the conversation window, carries no attachment bytes, adds
    no web routes, polls nothing, reads no folder of its own and sends nothing; its files, if it has any, are
    saved webhook bodies. A channel overrides what differs."""

    name: ChannelName
    ticket_prefix: str
    threads = True
    sender: object | None = None
    file_suffixes: frozenset[str] = frozenset()

    def parse(self, raw: RawRecord, settings: Settings) -> InboundMessage:
        raise NotImplementedError

    def parse_with_contents(self, raw: RawRecord, settings: Settings) -> tuple[InboundMessage, AttachmentContents]:
        return self.parse(raw, settings), {}

    def subject_filter(self, message: InboundMessage) -> Callable[[str], bool] | None:
        return None

    def match_thread(
        self, message: InboundMessage, candidates: list[ThreadCandidate], context: ThreadContext
    ) -> ThreadMatch:
        window = timedelta(hours=context.settings.pipeline.conversation_window_hours)
        return match_conversation(message, candidates, window, context.clock())

    def webhooks(self, settings: Settings) -> list[Webhook]:
        return []

    def pollers(self, runtime: Runtime) -> list[Poller]:
        return []

    def read_file(self, path: Path, settings: Settings) -> Iterator[SourceItem]:
        """A payload file, split as its webhook would split the body (`read_payload`); a file that cannot be
        split is kept whole, with the reason."""
        data, source = path.read_bytes(), f"file:{path}"
        try:
            split = split_or_reject(lambda raw: self.read_payload(raw, source, settings), data, self.name)
        except PayloadError as exc:
            yield SourceItem(raw=rejected_raw(self.name, None, data, source), problem=str(exc))
            return
        for raw in split.items:
            yield SourceItem(raw=raw)
        for rejected in split.rejected:
            yield SourceItem(
                raw=rejected_raw(self.name, rejected.channel_id, rejected.payload, source), problem=rejected.reason
            )

    def read_payload(self, data: bytes, source: str, settings: Settings) -> Split:
        """One saved webhook body (or poll page) split into items; raises PayloadError when it is unusable."""
        raise SourceError(f"channel {self.name.value} has no payload files")

    def read_folder(self, path: Path, settings: Settings) -> Iterator[SourceItem] | None:
        return None
