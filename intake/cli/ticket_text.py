"""`tickets show` as text: the fields, why it is in triage, SLA clocks, evidence, thread and a timeline of
readable lines (one line a changed field, `from → to`), from the data `views.ticket_detail` makes.
"""

from __future__ import annotations

from datetime import datetime

from intake.cli.display import DASH, format_due, format_time, shown
from intake.core.models import utcnow

THREAD_LINES = 12  # lines of each message's text shown; the rest is in `--format json`


def format_detail(data: dict, now: datetime | None = None) -> str:
    """The whole ticket as text, due times relative to `now` (default: the current time); absent values read "—"."""
    now = now or utcnow()
    return "\n".join(_fields(data, now) + _evidence(data) + _thread(data) + _timeline(data))


def _fields(data: dict, now: datetime) -> list[str]:
    requester = data["requester"] or DASH
    sender = f"{data['requester_name']} <{requester}>" if data["requester_name"] else requester
    category = "/".join(shown(data[name]) for name in ("category", "subcategory"))
    billing = shown(data["billing_type"])
    if data["requires_approval"]:
        cost = " ".join(str(part) for part in (data["estimated_cost"], data["currency"]) if part is not None)
        billing += f" (approval needed{', est. ' + cost if cost else ''})"
    sla = data["sla"]
    out = [
        f"{data['number']}  [{data['status']}]  {shown(data['subject'])}",
        f"  from {sender} via {data['channel']}",
        f"  category {category}  urgency {shown(data['urgency'])}  priority {shown(data['priority'])}",
        f"  property {shown(data['property_id'])}  unit {shown(data['unit'])}  billing {billing}",
        f"  team {shown(data['team'])}  assignee {shown(data['assignee'])}  tags {shown(data['tags'])}",
    ]
    if data.get("possible_emergency"):
        out += _emergency(data["number"], data["possible_emergency"])
    if data["needs_review"]:
        out.append(f"  NEEDS REVIEW: {'; '.join(data['review_reasons']) or 'yes'}")
    out.append(f"  first response: {_clock(sla['first_response_due'], sla['first_response_at'], 'answered', now)}")
    out.append(f"  resolution:     {_clock(sla['resolution_due'], sla['resolved_at'], 'resolved', now)}")
    return out


def _emergency(number: str, flag: dict) -> list[str]:
    """The safety net's flag: its state, and why; an open one says how to settle it."""
    reasons = [f"    - {reason}" for reason in flag["reasons"]]
    if flag["state"] == "open":
        return [
            f"  ⚠ POSSIBLE EMERGENCY (open: pinned in the triage queue; "
            f"`intake tickets emergency {number} confirm|clear --by YOU`):",
            *reasons,
        ]
    settled = f"{flag['state']} by {shown(flag['settled_by'])} {format_time(flag['settled_at'])}"
    why = f": {flag['settled_why']}" if flag["settled_why"] else ""
    return [f"  possible emergency {settled}{why}; flagged because:", *reasons]


def _clock(due: str | None, done: str | None, done_word: str, now: datetime) -> str:
    if done:
        return f"{done_word} {format_time(done)}" + (f" (was due {format_time(due)})" if due else "")
    return f"due {format_due(due, now)}" if due else "no due time"


def _evidence(data: dict) -> list[str]:
    evidence = data["classification"]["evidence"]
    lines = [f"    {shown(e.get('field'))}: {shown(e.get('source'))} {_quoted(e.get('text'))}" for e in evidence]
    return ["  evidence:"] + (lines or ["    —"])


def _quoted(text: str | None) -> str:
    return repr(text) if text else DASH


def _thread(data: dict) -> list[str]:
    out = ["  thread:"]
    for m in data["messages"]:
        joined = f" (joined by {m['thread_signal']})" if m["thread_signal"] else ""
        note = "  internal note" if m.get("internal") else ""
        out.append(f"    #{m['id']} {format_time(m['at'])} {m['direction']} {shown(m['author'])}{joined}{note}")
        out += [f"      {line}" for line in (m["text"] or "").strip().splitlines()[:THREAD_LINES]]
        out += [
            f"      [attachment] {shown(a['name'])} {shown(a['content_type'])} {a['size']} B"
            + (f" — {a['note']}" if a["note"] else "")
            for a in m["attachments"]
        ]
    return out


def _timeline(data: dict) -> list[str]:
    out = ["  timeline:"]
    for event in data["timeline"]:
        out.append(f"    {format_time(event['at'])}  {event['actor']}: {event['kind']}")
        out += [f"        {line}" for line in _changes(event["changes"] or {})]
        reasons = (event["reason"] or "").strip().splitlines()
        out += [f"        {'why: ' if i == 0 else '     '}{line}" for i, line in enumerate(reasons)]
    return out


def _changes(changes: dict) -> list[str]:
    """One line a key: `field: before → after` for a change, `key: value` for a fact."""
    lines = []
    for key, value in changes.items():
        if isinstance(value, dict) and value.keys() == {"from", "to"}:
            lines.append(f"{key}: {shown(value['from'])} → {shown(value['to'])}")
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            lines.append(f"{key}:")
            lines += [f"  {shown(item)}" for item in value]
        else:
            lines.append(f"{key}: {shown(value)}")
    return lines
