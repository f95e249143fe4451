"""Turn a QContact webhook body or a polled case into raw items (the edge; parsing is in `channel.py`).

Channel ids: `case:<id>` for a case (one ticket per case), `interaction:<id>` for a message on a case.
Interactions written by agents (direction outbound) are ours and are ignored.
"""

from __future__ import annotations

from intake.channels.payload import (
    DEFAULT_JSON_MAX_DEPTH,
    PayloadError,
    Split,
    envelope_bytes,
    json_item,
    load_json_object,
)
from intake.channels.qcontact.mapping import QContactMapping, RecordMapping, pick, pick_text
from intake.core.clean import has_control_characters
from intake.core.models import ChannelName

PROVIDER = "qcontact"


def read_qcontact_payload(
    raw: bytes, mapping: QContactMapping, source: str = "webhook:qcontact", max_depth: int = DEFAULT_JSON_MAX_DEPTH
) -> Split:
    """Items, rejected items and ignored events of one body (webhook, or a saved page of cases).

    Raises PayloadError when the body holds no case, interaction or page of cases.
    """
    body = load_json_object(raw, max_depth)
    event = pick_text(body, mapping.webhook.event)
    split = Split()
    interaction = pick(body, mapping.webhook.interaction)
    case = pick(body, mapping.webhook.case)
    if isinstance(interaction, dict):
        direction = (pick_text(interaction, mapping.interaction.direction) or "").lower()
        if direction and direction in {d.lower() for d in mapping.webhook.ignore_directions}:
            split.ignored.append(f"interaction:{direction}")
            return split
        _add(split, "interaction", interaction, mapping, event, source)
    elif isinstance(case, dict):
        _add(split, "case", case, mapping, event, source)
    elif pick(body, mapping.case.id) is not None and pick(body, mapping.case.ticket_id) is not None:
        _add(split, "case", body, mapping, event, source)  # the case itself posted as the body
    elif isinstance(body.get(mapping.api.results), list):  # a page of `GET entities/Case` (a saved poll)
        for case in body[mapping.api.results]:
            page = case_input(case, mapping, source)
            split.items += page.items
            split.rejected += page.rejected
    else:
        looked = ", ".join(mapping.webhook.interaction + mapping.webhook.case + [mapping.api.results])
        raise PayloadError(f"no case or interaction in the body (looked at: {looked})")
    return split


def case_input(case: dict, mapping: QContactMapping, source: str = "poller:qcontact") -> Split:
    """The raw item for one case from `GET entities/Case` (rejected with a reason when it has no id)."""
    split = Split()
    if not isinstance(case, dict):
        split.reject(None, "case is not an object", envelope_bytes({"record": case}))
        return split
    _add(split, "case", case, mapping, None, source)
    return split


def _add(split: Split, kind: str, record: dict, mapping: QContactMapping, event: str | None, source: str) -> None:
    fields = mapping.interaction if kind == "interaction" else mapping.case
    envelope = envelope_bytes({"provider": PROVIDER, "kind": kind, "event": event, "record": record})
    problem = _record_problem(kind, record, fields)
    if problem:
        split.reject(None, problem, envelope)
        return
    split.items.append(json_item(ChannelName.QCONTACT, f"{kind}:{pick_text(record, fields.id)}", envelope, source))


def _record_problem(kind: str, record: dict, fields: RecordMapping) -> str | None:
    """Why a case or interaction cannot be taken (its id is the dedupe key), or None."""
    record_id = pick_text(record, fields.id)
    if not record_id:
        return f"{kind} has no id (looked at: {', '.join(fields.id)})"
    if not _is_scalar_id(pick(record, fields.id)):
        return f"{kind} id must be a string or an integer"
    if has_control_characters(record_id):  # refused, not escaped
        return f"{kind} id contains a control character"
    if len(record_id) > 900:  # cut short, two long ids would collide as "duplicates"
        return f"{kind} id is too long ({len(record_id)} characters, 900 at most)"
    if kind == "interaction" and not _is_scalar_id(pick(record, fields.case_id)):
        looked = ", ".join(fields.case_id)
        return f"interaction {record_id} has no case id (a string or an integer; looked at: {looked})"
    problem = _text_field_problem(record, fields)
    return f"{kind} {record_id}: {problem}" if problem else None


_TEXT_FIELDS = (
    "ticket_id",
    "subject",
    "text",
    "status",
    "phone",
    "email",
    "contact_id",
    "name",
    "created_at",
    "source_channel",
)


def _text_field_problem(record: dict, fields: RecordMapping) -> str | None:
    """A mapped field the worker reads as text holding an object or a list (its repr would become the text)."""
    for name in _TEXT_FIELDS:
        value = pick(record, getattr(fields, name))
        if isinstance(value, (dict, list)):
            return f"field '{name}' (looked at: {', '.join(getattr(fields, name))}) must be text, got {type(value).__name__}"
    return None


def _is_scalar_id(value: object) -> bool:
    # a dict or list id would become its repr in the dedupe key: the sender's mistake, not an id
    return isinstance(value, (str, int)) and not isinstance(value, bool) and str(value) != ""
