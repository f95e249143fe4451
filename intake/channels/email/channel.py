"""The email `Channel`: one stored raw mail (RFC 5322 bytes) → one `InboundMessage`.

Runs in the worker's parse stage. Automatic mail is labelled (`auto`) rather than dropped here — the guard
stage decides; bounces carry a `DeliveryReport` about our original message so it lands on its ticket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from intake.channels.base import (
    AttachmentContents,
    BaseChannel,
    ParseError,
    Poller,
    RawRecord,
    SourceItem,
    ThreadContext,
)
from intake.channels.email.auto import AutoVerdict, detect_automatic
from intake.channels.email.files import SUFFIXES, is_maildir, read_mail_file, read_maildir
from intake.channels.email.html import sanitize_html
from intake.channels.email.imap import run_mailbox
from intake.channels.email.parse import ParsedEmail, parse_email, sent_at
from intake.channels.email.parts import to_refs
from intake.channels.email.threading import is_similar_subject, score_email_thread
from intake.core.models import ChannelName, DeliveryReport, InboundMessage, ThreadCandidate, ThreadMatch
from intake.core.settings import Settings
from intake.core.vocabulary import TICKET_PREFIXES
from intake.runtime import Runtime


class EmailChannel(BaseChannel):
    """Mail from IMAP mailboxes (tickets numbered EML-…)."""

    name = ChannelName.EMAIL
    ticket_prefix = TICKET_PREFIXES[ChannelName.EMAIL]

    file_suffixes = SUFFIXES

    def parse(self, raw: RawRecord, settings: Settings) -> InboundMessage:
        return self.parse_with_contents(raw, settings)[0]

    def pollers(self, runtime: Runtime) -> list[Poller]:
        """One IMAP loop per configured mailbox."""
        return [(f"imap:{mailbox.name}", run_mailbox(runtime, mailbox)) for mailbox in runtime.settings.email.mailboxes]

    def read_file(self, path: Path, settings: Settings) -> Iterator[SourceItem]:
        """An mbox, or one mail."""
        return read_mail_file(path)

    def read_folder(self, path: Path, settings: Settings) -> Iterator[SourceItem] | None:
        return read_maildir(path) if is_maildir(path) else None

    def parse_with_contents(self, raw: RawRecord, settings: Settings) -> tuple[InboundMessage, AttachmentContents]:
        """The message, and the bytes of its attachments within the limits by sha256 (for the file store)."""
        if len(raw.payload) > settings.limits.raw_max_bytes:
            raise ParseError(f"mail of {len(raw.payload)} bytes is over the raw_max_bytes limit")
        try:
            parsed = parse_email(raw.payload, settings.limits.address_header_max_chars)
            verdict = detect_automatic(parsed.message, settings.email.our_addresses, settings.email.instance_marker)
        except ParseError:
            raise
        except Exception as exc:  # the same bytes fail the same way on every retry: quarantine with the reason
            raise ParseError(f"mail parser failed on this input: {type(exc).__name__}: {exc}") from exc
        pairs = _refs(parsed, settings)  # hashed once: the refs go on the message, the bytes to the store
        message = to_inbound(
            parsed,
            verdict,
            settings,
            channel_id=raw.channel_id,
            raw_id=raw.id,
            received_at=raw.received_at,
            refs=[ref for ref, _ in pairs],
        )
        return message, {ref.sha256: data for ref, data in pairs if ref.stored and ref.sha256}

    def subject_filter(self, message: InboundMessage) -> Callable[[str], bool] | None:
        """Recent tickets with the same subject are candidates too (a stranger's mail may be a follow-up)."""
        if not message.subject:
            return None
        return lambda subject: is_similar_subject(message.subject, subject)

    def match_thread(
        self, message: InboundMessage, candidates: list[ThreadCandidate], context: ThreadContext
    ) -> ThreadMatch:
        """Scored from the mail's headers, subject, participants and the sender's homes (see `threading`)."""
        return score_email_thread(message, candidates, context.settings.email.instance_marker, homes=context.homes())


def to_inbound(
    parsed: ParsedEmail,
    verdict: AutoVerdict | None,
    settings: Settings,
    *,
    channel_id: str,
    raw_id: int | None = None,
    received_at=None,
    refs=None,
) -> InboundMessage:
    """Shape a parsed mail into the pipeline's message (also used by `intake parse-email`); `refs` are the
    attachment refs when the caller already made them."""
    if refs is None:
        refs = [ref for ref, _ in _refs(parsed, settings)]
    extra: dict = {}
    if parsed.defects:
        extra["mime_defects"] = parsed.defects
    if verdict is not None:
        extra["auto_detail"] = verdict.detail
    report = _delivery_report(verdict)
    fields = dict(
        channel=ChannelName.EMAIL,
        channel_message_id=parsed.thread.message_id or channel_id,
        raw_id=raw_id,
        sender=parsed.sender,
        sender_name=parsed.sender_name,
        to=parsed.to,
        cc=parsed.cc,
        subject=parsed.subject or None,
        text=parsed.text,
        full_text=parsed.full_text,
        html=sanitize_html(parsed.html),
        attachments=refs,
        thread=parsed.thread,
        sent_at=sent_at(parsed.message),
        auto=verdict.reason if verdict else None,
        delivery_report=report,
        extra=extra,
    )
    if received_at is not None:
        fields["received_at"] = received_at
    return InboundMessage(**fields)


def _refs(parsed: ParsedEmail, settings: Settings):
    limits = settings.limits
    return to_refs(parsed.parts.attachments, limits.attachment_max_bytes, limits.message_attachments_max_bytes)


def _delivery_report(verdict: AutoVerdict | None) -> DeliveryReport | None:
    if verdict is None or verdict.bounce is None:
        return None
    bounce = verdict.bounce
    status = {"delayed": "delayed", "delivered": "delivered", "relayed": "delivered"}.get(bounce.action, "bounced")
    reason = (
        " ".join(
            filter(None, [bounce.status, "hard" if bounce.hard and status == "bounced" else None, bounce.diagnostic])
        )
        or None
    )
    return DeliveryReport(
        ref_id=bounce.original_message_id or "",
        status=status,
        recipient=bounce.recipients[0] if bounce.recipients else None,
        reason=reason,
    )
