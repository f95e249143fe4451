"""Control characters out of a parsed message: the last step of the parse stage, for every channel.

PostgreSQL text and JSON columns refuse NUL, and the other C0 controls (except tab, CR and LF) are never
meant as text: they come from broken mailers or from a sender probing us. Removing them here, once, lets
the item become a ticket on both databases; the raw item keeps every byte it arrived with.
"""

from __future__ import annotations

import re
from typing import Any

from intake.core.models import InboundMessage

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def has_control_characters(text: str) -> bool:
    """Whether `text` holds a C0 control character other than tab, CR and LF."""
    return CONTROL_CHARACTERS.search(text) is not None


def clean_message(message: InboundMessage) -> InboundMessage:
    """The message with control characters removed from every text field (ids, names, text, extra…);
    the same object when there is nothing to remove (the common case costs one scan of the fields)."""
    fields = message.model_dump()
    cleaned = _clean(fields)
    return message if cleaned == fields else InboundMessage.model_validate(cleaned)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return CONTROL_CHARACTERS.sub("", value) if has_control_characters(value) else value
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    return value
