"""Split one Cloud API webhook body into one raw item per message or status.

Runs in the webhook handler after the signature check and before `accept`: it only checks structure
and cuts the batch; parsing into an `InboundMessage` happens later in the worker (`channel.py`).
Each item's payload is a small envelope: the message (or status) plus the metadata and contact of its change.
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

PROVIDER = "whatsapp-cloud"
# Types Meta documents for inbound `messages[]`; anything else is quarantined as unknown.
MESSAGE_TYPES = frozenset(
    {
        "text",
        "image",
        "document",
        "audio",
        "video",
        "sticker",
        "location",
        "contacts",
        "interactive",
        "button",
        "reaction",
        "order",
        "system",
        "unsupported",
        "edit",
        "revoke",
        "request_welcome",
        "referral",
    }
)
STATUS_VALUES = frozenset({"sent", "delivered", "read", "played", "failed", "deleted", "warning"})
# The JSON types of every field the worker reads (channel.py), per message type: a wrong one is the
# sender's fault, answered 422 and kept in quarantine, instead of failing three attempts in the worker.
_NUMBER = (int, float, str)  # coordinates and quantities arrive as numbers or numeric strings
_MEDIA = {"id": str, "mime_type": str, "filename": str, "caption": str, "sha256": str, "url": str}
_REPLY = {"id": str, "title": str, "description": str, "body": str}
CONTENT_TYPES = {
    "text": {"body": str},
    **{kind: _MEDIA for kind in ("image", "document", "audio", "video", "sticker")},
    "location": {"latitude": _NUMBER, "longitude": _NUMBER, "name": str, "address": str},
    "contacts": [{"name": {"formatted_name": str}, "phones": [{"phone": str}]}],
    "interactive": {"type": str, "button_reply": _REPLY, "list_reply": _REPLY, "nfm_reply": _REPLY},
    "button": {"text": str, "payload": str},
    "reaction": {"emoji": str, "message_id": str},
    "order": {"text": str, "product_items": [{"product_retailer_id": _NUMBER, "quantity": _NUMBER}]},
    "edit": {"original_message_id": str, "message": {"type": str}},
    "revoke": {"original_message_id": str},
    "system": {"body": str},
}
_MESSAGE_FIELDS = {"context": {"id": str, "forwarded": bool, "frequently_forwarded": bool}, "timestamp": _NUMBER}


def split_cloud_payload(raw: bytes, source: str = "webhook:whatsapp") -> list[RawInput]:
    """One RawInput per message or status; raises PayloadError when the body or any item is unusable."""
    return items_or_raise(read_cloud_payload(raw, source))


def read_cloud_payload(raw: bytes, source: str = "webhook:whatsapp", max_depth: int = DEFAULT_JSON_MAX_DEPTH) -> Split:
    """The items, the rejected items (with reasons) and the ignored event kinds of one webhook body.

    Raises PayloadError when the body as a whole is not a WhatsApp Business Account notification.
    Changes other than `messages` (account, template, call updates…) are listed in `ignored`.
    """
    body = load_json_object(raw, max_depth)
    if body.get("object") != "whatsapp_business_account":
        raise PayloadError(f"field 'object' is {body.get('object')!r}, expected 'whatsapp_business_account'")
    entries = body.get("entry")
    if not isinstance(entries, list) or not entries:
        raise PayloadError("missing field 'entry' (a non-empty list)")
    split, seen = Split(), set()
    for e_index, entry in enumerate(entries):
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            raise PayloadError(f"entry[{e_index}]: missing field 'changes' (a list)")
        for c_index, change in enumerate(changes):
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                raise PayloadError(f"entry[{e_index}].changes[{c_index}]: missing field 'value' (an object)")
            if change.get("field") != "messages":
                split.ignored.append(str(change.get("field") or "unknown-field"))
                continue
            context = {"provider": PROVIDER, "waba_id": entry.get("id"), "metadata": change["value"].get("metadata")}
            where = f"entry[{e_index}].changes[{c_index}]"
            _split_change(change["value"], context, where, source, split, seen)
    return split


def _split_change(value: dict, context: dict, where: str, source: str, split: Split, seen: set[str]) -> None:
    problem = _value_problem(value)
    if problem:  # the whole change is unusable: one rejected item naming the field
        split.reject(None, f"{where}.value: {problem}", envelope_bytes({**context, "value": value}))
        return
    contacts = {c.get("wa_id"): c for c in value.get("contacts") or []}
    messages, statuses = value.get("messages") or [], value.get("statuses") or []
    if not messages and not statuses:
        split.ignored.append("messages-without-items")
        return
    for index, message in enumerate(messages):
        envelope = {**context, "kind": "message", "message": message}
        problem = _message_problem(message)
        if not problem:
            envelope["contact"] = contacts.get(message["from"])
            if value.get("errors"):
                envelope["errors"] = value["errors"]
        _add(
            split,
            seen,
            envelope,
            None if problem else message["id"],
            f"{where}.messages[{index}]: {problem}" if problem else None,
            source,
        )
    for index, status in enumerate(statuses):
        envelope = {**context, "kind": "status", "status": status}
        problem = _status_problem(status)
        _add(
            split,
            seen,
            envelope,
            None if problem else status_channel_id(status),
            f"{where}.statuses[{index}]: {problem}" if problem else None,
            source,
        )


def _value_problem(value: dict) -> str | None:
    """Wrong JSON shapes in a change's value (`"messages": 5`, `"metadata": []`): the sender's fault, named."""
    problem = shape_problem(value, ((("messages", "statuses", "contacts", "errors"), list), (("metadata",), dict)))
    if problem:
        return problem
    for index, contact in enumerate(value.get("contacts") or []):
        if not isinstance(contact, dict) or not isinstance(contact.get("wa_id", ""), str):
            return f"contacts[{index}]: field 'wa_id' must be a string"
        problem = type_problem(contact, {"profile": {"name": str}}, f"contacts[{index}]")
        if problem:
            return problem
    return None


def status_channel_id(status: dict) -> str:
    """`status:<wamid>:<status>`; group sends get one status per participant, so the participant is added."""
    channel_id = f"status:{status['id']}:{status['status']}"
    if status.get("recipient_type") == "group" and status.get("recipient_participant_id"):
        channel_id += f":{status['recipient_participant_id']}"
    return channel_id


def _add(
    split: Split, seen: set[str], envelope: dict, channel_id: str | None, problem: str | None, source: str
) -> None:
    payload = envelope_bytes(envelope)
    if problem:
        split.reject(channel_id, problem, payload)
        return
    if channel_id in seen:  # the same message twice in one batch: the first one is enough
        return
    seen.add(channel_id)
    split.items.append(json_item(ChannelName.WHATSAPP, channel_id, payload, source))


def _message_problem(message: object) -> str | None:
    if not isinstance(message, dict):
        return "message is not an object"
    for name in ("id", "from", "type"):
        if not isinstance(message.get(name), str) or not message.get(name):
            return f"missing field '{name}'" if message.get(name) in (None, "") else f"field '{name}' must be a string"
    if len(message["id"]) > 900:
        return "field 'id' is too long"
    if has_control_characters(message["id"]):  # the dedupe key: refused, an escaped key would match no reply
        return "field 'id' contains a control character"
    if message["type"] not in MESSAGE_TYPES:
        return f"unknown message type {message['type']!r}"
    body_is_list = message["type"] == "contacts"  # the one type whose body is a list
    objects = ("context", "referral") + (() if body_is_list else (message["type"],))
    lists = ("errors",) + ((message["type"],) if body_is_list else ())
    return shape_problem(message, ((objects, dict), (lists, list))) or content_problem(message)


def content_problem(message: dict) -> str | None:
    """A field of the message's content (`text.body`, `image.caption`…) with the wrong JSON type, named."""
    kind = message["type"]
    problem = type_problem(message, {**_MESSAGE_FIELDS, kind: CONTENT_TYPES.get(kind, dict)}, "")
    inner = (message.get("edit") or {}).get("message") if kind == "edit" else None
    if not problem and isinstance(inner, dict) and inner.get("type") in CONTENT_TYPES:  # an edit carries a message
        problem = type_problem(inner, {inner["type"]: CONTENT_TYPES[inner["type"]]}, "edit.message")
    return problem


def _status_problem(status: object) -> str | None:
    if not isinstance(status, dict):
        return "status is not an object"
    for name in ("id", "status"):
        if not isinstance(status.get(name), str) or not status.get(name):
            return f"missing field '{name}'" if status.get(name) in (None, "") else f"field '{name}' must be a string"
    if len(status["id"]) > 800:
        return "field 'id' is too long"
    for name in ("id", "recipient_participant_id"):  # both go into the dedupe key
        if isinstance(status.get(name), str) and has_control_characters(status[name]):
            return f"field '{name}' contains a control character"
    if status["status"] not in STATUS_VALUES:
        return f"unknown status {status['status']!r}"
    strings = ("recipient_id", "recipient_participant_id", "recipient_type")
    return shape_problem(status, ((("conversation", "pricing"), dict), (("errors",), list), (strings, str)))
