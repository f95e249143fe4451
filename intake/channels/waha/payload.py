"""Split one WAHA webhook body into raw items.

WAHA posts one event per request. `message` / `message.any` (incoming only: our own phone's messages,
`fromMe`, are ignored), `message.reaction` and `message.edited` become items keyed by WAHA's message id;
`message.ack` about our own messages becomes a delivery-report item; every other event is ignored.
"""

from __future__ import annotations

from intake.channels.payload import (
    DEFAULT_JSON_MAX_DEPTH,
    PayloadError,
    Split,
    envelope_bytes,
    items_or_raise,
    json_item,
    load_json_object,
    shape_problem,
    type_problem,
)
from intake.core.clean import has_control_characters
from intake.core.models import ChannelName, RawInput

PROVIDER = "waha"
MESSAGE_EVENTS = frozenset({"message", "message.any", "message.reaction", "message.edited"})
ACK_EVENTS = frozenset({"message.ack", "message.ack.group"})


def split_waha_payload(raw: bytes, source: str = "webhook:waha") -> list[RawInput]:
    """The items of one WAHA event; raises PayloadError when the body or its item is unusable."""
    return items_or_raise(read_waha_payload(raw, source))


def read_waha_payload(raw: bytes, source: str = "webhook:waha", max_depth: int = DEFAULT_JSON_MAX_DEPTH) -> Split:
    """Items, rejected items and ignored events of one WAHA webhook body (PayloadError if not a WAHA event)."""
    body = load_json_object(raw, max_depth)
    event = body.get("event")
    if not isinstance(event, str) or not event:
        raise PayloadError("missing field 'event'")
    split = Split()
    payload = body.get("payload")
    if event not in MESSAGE_EVENTS | ACK_EVENTS:
        split.ignored.append(event)
        return split
    if not isinstance(payload, dict):
        raise PayloadError(f"event {event!r}: missing field 'payload' (an object)")
    if body.get("me") is not None and not isinstance(body["me"], dict):
        raise PayloadError(f"event {event!r}: field 'me' must be an object")
    if type_problem(body.get("me"), {"id": str}, "me"):
        raise PayloadError(f"event {event!r}: {type_problem(body['me'], {'id': str}, 'me')}")
    envelope = {
        "provider": PROVIDER,
        "event": event,
        "session": body.get("session"),
        "engine": body.get("engine"),
        "me": body.get("me"),
        "payload": payload,
    }
    message_id = payload.get("id")
    if not isinstance(message_id, str) or not message_id or len(message_id) > 900:
        split.reject(None, f"event {event!r}: missing field 'payload.id'", envelope_bytes(envelope))
        return split
    problem = _shape_problem(payload)
    if problem:
        split.reject(message_id, f"event {event!r}: {problem}", envelope_bytes(envelope))
        return split
    if event in ACK_EVENTS:
        if not payload.get("fromMe"):  # acks of the tenant's own messages say nothing about ours
            split.ignored.append(f"{event}:not-ours")
            return split
        status = str(payload.get("ackName") or payload.get("ack"))
        channel_id = f"ack:{message_id}:{status}"
    elif payload.get("fromMe"):
        split.ignored.append(f"{event}:from-me")
        return split
    else:
        channel_id = f"edit:{message_id}" if event == "message.edited" else message_id
        sender = payload.get("participant") if str(payload.get("from", "")).endswith("@g.us") else payload.get("from")
        if not sender:
            split.reject(message_id, f"event {event!r}: missing field 'payload.from'", envelope_bytes(envelope))
            return split
    if has_control_characters(channel_id):  # the dedupe key: refused (422, kept), an escaped key would match nothing
        reason = f"event {event!r}: field 'payload.id' or 'payload.ackName' contains a control character"
        split.reject(None, reason, envelope_bytes(envelope))
        return split
    split.items.append(json_item(ChannelName.WAHA, channel_id, envelope_bytes(envelope), source))
    return split


_OBJECTS = ("media", "location", "replyTo", "reaction", "_data")
_STRINGS = ("from", "to", "participant", "body", "notifyName", "editedMessageId", "ackName")


# Inside the objects: the fields the worker (channel.py) reads from them.
_NUMBER = (int, float, str)
_INNER = {
    "media": {"url": str, "filename": str, "mimetype": str},
    "replyTo": {"id": str},
    "location": {"latitude": _NUMBER, "longitude": _NUMBER, "description": str},
    "reaction": {"text": str, "messageId": str},
    "_data": {"notifyName": str},
    "timestamp": _NUMBER,
}


def _shape_problem(payload: dict) -> str | None:
    """Fields the worker reads must have WAHA's JSON types when present (a list `from` is the sender's fault)."""
    return shape_problem(payload, ((_OBJECTS, dict), (_STRINGS, str)), "payload.") or type_problem(
        payload, _INNER, "payload"
    )
