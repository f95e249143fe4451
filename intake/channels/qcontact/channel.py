"""The QContact `Channel`: its webhook, its REST poller, and the parse of one stored case or interaction
(worker's parse stage; the field mapping decides where each value comes from, see `record.py`)."""

from __future__ import annotations

import json

from intake.channels.base import BaseChannel, ParseError, Poller, RawRecord, SourceError
from intake.channels.payload import Split
from intake.channels.qcontact.mapping import MappingError, load_mapping
from intake.channels.qcontact.payload import read_qcontact_payload
from intake.channels.qcontact.poller import run_poller
from intake.channels.qcontact.record import record_to_message
from intake.channels.qcontact.webhook import qcontact_webhook
from intake.channels.webhook import Webhook
from intake.core.models import ChannelName, InboundMessage
from intake.core.settings import Settings
from intake.core.vocabulary import TICKET_PREFIXES
from intake.runtime import Runtime


class QContactChannel(BaseChannel):
    """Cases and interactions from a QContact contact centre (tickets numbered QC-…)."""

    name = ChannelName.QCONTACT
    ticket_prefix = TICKET_PREFIXES[ChannelName.QCONTACT]

    file_suffixes = frozenset({".json"})

    def webhooks(self, settings: Settings) -> list[Webhook]:
        return [qcontact_webhook(settings)]

    def read_payload(self, data: bytes, source: str, settings: Settings) -> Split:
        """A webhook body, or a saved page of `GET entities/Case`."""
        try:
            mapping = load_mapping(settings.qcontact.mapping_file)
        except MappingError as exc:
            raise SourceError(f"QContact mapping unusable: {exc}") from None
        return read_qcontact_payload(data, mapping, source, settings.limits.json_max_depth)

    def pollers(self, runtime: Runtime) -> list[Poller]:
        """The REST poller, for teams whose QContact cannot call our webhook (when qcontact.base_url is set)."""
        return [("qcontact", run_poller(runtime))] if runtime.settings.qcontact.base_url else []

    def parse(self, raw: RawRecord, settings: Settings) -> InboundMessage:
        try:
            mapping = load_mapping(settings.qcontact.mapping_file)
        except MappingError as exc:
            raise ParseError(f"QContact mapping unusable: {exc}") from None
        try:
            envelope = json.loads(raw.payload)
            kind, record = envelope["kind"], envelope["record"]
        except (ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
            raise ParseError(f"stored QContact item is unreadable: {exc}") from None
        return record_to_message(raw, kind, record, mapping, settings.whatsapp.default_region)
