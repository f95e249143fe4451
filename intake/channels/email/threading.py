"""Which ticket does a mail belong to? Several signals are weighed instead of trusting one header.

Runs in the find-thread stage, after guard and before classification. The store hands us snapshots of the
tickets that could match (`ThreadCandidate`); we score each from Message-ID links (In-Reply-To, References:
ours carry the instance marker), our ticket reference (`EML-000123`), the sender being on the thread,
subject similarity (rapidfuzz, reply prefixes stripped), unit and recency. A sure match joins the ticket; a
doubtful one opens a new ticket marked "probable follow-up of X"; a stranger never joins on subject alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from rapidfuzz import fuzz

from intake.core.models import InboundMessage, ThreadCandidate, ThreadMatch

_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|antw|antwort|fwd?|wg|sv|vs|tr|rv|ref|odp|res|enc|vá|r|atb|vl|回复|答复|转发|回覆|轉寄|返信|転送)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*[:：]|\[(?:EML|WA|QC|INT)-\d{6}\]|\[?ticket#?\s*\d+\]?:?"
    r"|\*?(?:external|extern)\*?:?)\s*",
    re.IGNORECASE,
)
_OPEN_WINDOW = timedelta(days=30)  # a participant's same-subject mail joins within this much of the last activity
_STALE = timedelta(days=180)
SIMILAR_SUBJECT = 80  # rapidfuzz ratio from which two normalised subjects are "the same subject"
_CLOSED = {"closed", "resolved", "merged", "spam"}
WEIGHTS = {
    "in-reply-to": 1.0,
    "references": 0.8,
    "ticket-reference": 0.7,
    "participant": 0.2,
    "subject": 0.3,
    "unit": 0.1,
    "recent": 0.1,
}


@dataclass
class _Score:
    candidate: ThreadCandidate
    signals: dict[str, float] = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return round(sum(self.signals.values()), 3)


@lru_cache(maxsize=4096)  # the store's subject filter compares one mail's subject with hundreds of recent ones
def normalize_subject(subject: str | None) -> str:
    """The subject without reply/forward prefixes, ticket tags and extra whitespace, lower-cased."""
    text = subject or ""
    previous = None
    while previous != text:
        previous, text = text, _PREFIX.sub("", text, count=1)
    text = re.sub(r"\[(?:EML|WA|QC|INT)-\d{6}\]", " ", text, flags=re.I)
    return re.sub(r"\s+", " ", text).strip().lower()


def subject_similarity(ours: str | None, theirs: str | None) -> float:
    """How alike two subjects are (0–100) once reply prefixes and ticket tags are gone; 0 when either is empty."""
    a, b = normalize_subject(ours), normalize_subject(theirs)
    return fuzz.ratio(a, b) if a and b else 0.0


def is_similar_subject(ours: str | None, theirs: str | None) -> bool:
    """Whether the subjects are alike enough to count as the subject signal (the store's candidate filter)."""
    return subject_similarity(ours, theirs) >= SIMILAR_SUBJECT


def score_email_thread(
    message: InboundMessage,
    candidates: list[ThreadCandidate],
    our_marker: str,
    now: datetime | None = None,
    homes: set[tuple[str, str]] | None = None,
) -> ThreadMatch:
    """The ticket this mail joins (sure), may follow up (not sure), or none; with the deciding signal.

    `homes` are the sender's registered (property, unit) tenancies: a ticket about one of them is the unit
    signal; a stranger's same subject about another tenant's unit is that tenant's own problem, not a follow-up.
    """
    now = now or message.received_at or datetime.now(UTC)
    homes = homes or set()
    scored = [_score(message, candidate, our_marker, now, homes) for candidate in candidates]
    scored = [s for s in scored if s.signals]
    if not scored:
        return ThreadMatch(evidence=["no candidate shares an id, reference, participant or subject"])
    best = max(scored, key=lambda s: (s.total, s.candidate.last_activity_at))
    signal, sure = _decide(best, message, now, homes)
    if signal is None:
        return ThreadMatch(score=best.total, evidence=best.evidence + ["not enough to call it a follow-up"])
    return ThreadMatch(
        ticket_number=best.candidate.ticket_number, sure=sure, signal=signal, score=best.total, evidence=best.evidence
    )


def _ids(values: list[str]) -> set[str]:
    return {v.strip().strip("<>").strip() for v in values if v and v.strip()}


def _ours_for(ticket_number: str, message: InboundMessage, marker: str) -> set[str]:
    """Our outbound Message-IDs name their ticket (`<marker.EML-000123.random@domain>`): ids in this mail's
    In-Reply-To/References that are ours and name this ticket count as known even if the store lost them."""
    if not marker:
        return set()
    prefix = f"{marker}.{ticket_number}."
    return {mid for mid in _ids(message.thread.in_reply_to + message.thread.references) if mid.startswith(prefix)}


def _score(
    message: InboundMessage, candidate: ThreadCandidate, marker: str, now: datetime, homes: set[tuple[str, str]]
) -> _Score:
    score = _Score(candidate)
    known = _ids(candidate.message_ids) | _ours_for(candidate.ticket_number, message, marker)

    def mine(mid: str) -> str:
        return " (one of ours)" if marker and mid.startswith(f"{marker}.") else ""

    replied = _ids(message.thread.in_reply_to) & known
    if replied:
        mid = sorted(replied)[0]
        score.signals["in-reply-to"] = WEIGHTS["in-reply-to"]
        score.evidence.append(f"In-Reply-To <{mid}> is on {candidate.ticket_number}{mine(mid)}")
    referenced = _ids(message.thread.references) & known
    if referenced and not replied:
        mid = sorted(referenced)[0]
        score.signals["references"] = WEIGHTS["references"]
        score.evidence.append(f"References names <{mid}> of {candidate.ticket_number}{mine(mid)}")
    reference = message.thread.ticket_reference
    if reference and reference.upper() == candidate.ticket_number.upper():
        score.signals["ticket-reference"] = WEIGHTS["ticket-reference"]
        score.evidence.append(f"ticket reference {reference} in the subject or body")
    participants = {p.lower() for p in candidate.participants}
    if message.sender.lower() in participants:
        score.signals["participant"] = WEIGHTS["participant"]
        score.evidence.append(f"{message.sender} is a participant of {candidate.ticket_number}")
    similarity = subject_similarity(message.subject, candidate.subject)
    if similarity >= SIMILAR_SUBJECT:
        score.signals["subject"] = round(WEIGHTS["subject"] * similarity / 100, 3)
        score.evidence.append(f"subject {similarity:.0f}% similar to {candidate.subject!r}")
    if candidate.unit and _is_home(candidate, homes):
        score.signals["unit"] = WEIGHTS["unit"]
        score.evidence.append(f"same unit {candidate.unit}: the sender's home")
    if score.signals:
        age = now - candidate.last_activity_at
        if age <= _OPEN_WINDOW:
            score.signals["recent"] = WEIGHTS["recent"]
        elif age > _STALE:
            score.signals["stale"] = -0.2
            score.evidence.append(f"last activity {age.days} days ago")
    return score


def _is_home(candidate: ThreadCandidate, homes: set[tuple[str, str]]) -> bool:
    unit = (candidate.unit or "").lower()
    return any(unit == home_unit.lower() and candidate.property_id in (None, prop) for prop, home_unit in homes)


def _decide(
    best: _Score, message: InboundMessage, now: datetime, homes: set[tuple[str, str]]
) -> tuple[str | None, bool]:
    """(deciding signal, sure). Message-ID links and our reference decide alone; a participant with the same
    subject on a recent open ticket is sure (the mailbox was CC'd halfway, or the client dropped References);
    anything weaker is at most a probable follow-up, and a stranger's matching subject is never a join."""
    s = best.signals
    if "in-reply-to" in s:
        return "in-reply-to", True
    if "references" in s:
        return "references", True
    if "ticket-reference" in s:  # from a stranger with another subject it may be a forwarded old mail
        return "ticket-reference", "participant" in s or "subject" in s
    recent = now - best.candidate.last_activity_at <= _OPEN_WINDOW
    if "participant" in s and s.get("subject", 0) >= WEIGHTS["subject"] * 0.9:
        sure = recent and best.candidate.status.lower() not in _CLOSED
        return "participant-subject", sure
    if "participant" in s and "unit" in s:
        return "participant-unit", False
    if "subject" in s and s["subject"] >= WEIGHTS["subject"] * 0.95 and recent:
        if homes and best.candidate.unit and not _is_home(best.candidate, homes):
            best.evidence.append(f"but the sender lives elsewhere, the ticket is about unit {best.candidate.unit}")
            return None, False
        return "subject", False
    return None, False
