"""One way to split a push-channel body, for webhooks and `intake ingest` alike: items, or a PayloadError.

A splitter raises PayloadError for problems it names; any other error of the kinds below means a shape it
did not foresee (a lone surrogate in a text field ends in UnicodeEncodeError, a list where an object was
expected in TypeError…). That is still the sender's body, not our failure: it is rejected the same way,
so a webhook answers 400 and keeps it, and `intake ingest` quarantines the file and goes on with the next.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from intake.channels.chat import PayloadError, Split
from intake.core.models import ChannelName
from intake.logs import describe_error

log = logging.getLogger(__name__)
UNFORESEEN_SHAPE_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ValueError)  # incl. Unicode errors


def split_or_reject(split: Callable[[bytes], Split], raw: bytes, channel: ChannelName) -> Split:
    """`split(raw)`, with an unforeseen shape turned into PayloadError("malformed payload (…Error)"); the
    reason names the exception, never the payload."""
    try:
        return split(raw)
    except PayloadError:
        raise
    except UNFORESEEN_SHAPE_ERRORS as exc:
        log.warning("%s payload: unexpected shape: %s", channel.value, describe_error(exc))
        raise PayloadError(f"malformed payload ({type(exc).__name__})") from None


def rejected_key(payload: bytes) -> str:
    """The channel id a rejected body or item is quarantined under: its content hash, so that the same bad
    payload, redelivered by the provider or ingested again from a file, is kept once."""
    return "rejected:sha256:" + hashlib.sha256(payload).hexdigest()
