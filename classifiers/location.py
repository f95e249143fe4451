"""Find the reporter's own property and unit: registry tenancy of the sender, and what the text says.

A unit id in the text counts only where it can be a home: not a neighbour's ("the people in 301"), not
money, a date, a time, a phone number, a count, a parking spot, a floor or a meter reading. A known
sender's tenancy wins unless the text says "I live in …" about another unit; an unknown sender's unit
comes from the text alone (property names and aliases matched with typos).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from spacy.tokens import Doc

from classifiers.cues import Cue, CueKind, cue_key, kind_of, name_of
from classifiers.decide import Decision, span_text
from classifiers.issues import Signals
from classifiers.models import EvidenceItem, evidence_item
from classifiers.spans import Hit, Nearby
from store.registry import Registry, Tenant

_NOT_A_UNIT = re.compile(
    r"\+?\d[\d ().-]{6,}\d"  # phone numbers
    r"|\b\d{1,4}[/.]\d{1,2}(?:[/.]\d{2,4})?\b"  # dates
    r"|\b\d{1,2}(?::\d{2})?\s*(?:am|pm|h)\b|\b\d{1,2}:\d{2}\b"  # times
    r"|[$€£]\s*\d[\d,.]*"  # money
)
_ROLE_SCORE = {"own": 3, "explicit": 2, "property": 2, "bare": 1}
_UNIT_CUES = (Cue.NOT_UNIT_BEFORE, Cue.NOT_UNIT_AFTER, Cue.NEIGHBOUR, Cue.OWN_UNIT, Cue.UNIT)


@dataclass
class UnitMention:
    unit: str  # lower case as written
    token: int
    role: str  # own / explicit / property / bare
    properties: list[str]  # registry properties that have this unit


def _ends_near(hits: Nearby, token: int, before: int) -> Hit | None:
    return next((h for h in hits.near(token, token, before) if 0 <= token - h.end <= before), None)


def _crosses_sentence(doc: Doc, start: int, end: int) -> bool:
    return any(doc[j].text in {".", "!", "?", ";"} or "\n" in doc[j].text for j in range(start, end))


def find_unit_mentions(
    signals: Signals, orths: list[int], units: dict[int, list[tuple[str, str]]], normalized: str
) -> list[UnitMention]:
    """Unit ids written in the text that can be the sender's home, each with how it was introduced."""
    if units.keys().isdisjoint(orths):
        return []
    doc = signals.doc
    # cue lists as `Nearby`, and the excluded character ranges (in text order) searched: a long text has many
    # unit ids and cues, and comparing each with all the others was quadratic
    cues = {key: Nearby(signals.cues.get(key, [])) for key in _UNIT_CUES}
    names = Nearby([h for key, hits in signals.cues.items() if kind_of(key) is CueKind.PROPERTY for h in hits])
    excluded = [m.span() for m in _NOT_A_UNIT.finditer(normalized)]
    excluded_starts = [a for a, _ in excluded]
    mentions = []
    for i, orth in enumerate(orths):
        owners = units.get(orth)
        if owners is None:
            continue
        idx = doc[i].idx
        last = bisect_right(excluded_starts, idx) - 1  # the only range that can hold idx: they do not overlap
        if last >= 0 and idx < excluded[last][1]:
            continue
        gap_hash = 1 if i > 0 and doc[i - 1].text in {"#", "(", "nº", "n°"} else 0
        if _ends_near(cues[Cue.NOT_UNIT_BEFORE], i - gap_hash, 0) or any(
            h.start == i + 1 for h in cues[Cue.NOT_UNIT_AFTER].near(i, i + 1, 1)
        ):
            continue
        if _ends_near(cues[Cue.NEIGHBOUR], i, 4) or any(
            0 <= h.start - i - 1 <= 1 for h in cues[Cue.NEIGHBOUR].near(i, i + 1, 2)
        ):
            continue
        props = [prop for prop, _ in owners]
        own = _ends_near(cues[Cue.OWN_UNIT], i, 3)
        if (own and not _crosses_sentence(doc, own.end, i)) or any(
            h.start == i + 1 and doc[h.start].text == "here" for h in cues[Cue.OWN_UNIT].near(i, i + 1, 1)
        ):
            role = "own"  # "I live in 101", "B1 here"
        elif _ends_near(cues[Cue.UNIT], i - gap_hash, 0):
            role = "explicit"
        elif any(0 <= i - h.end <= 1 or 0 <= h.start - i - 1 <= 1 for h in names.near(i, i + 1, 2)):
            role = "property"
        else:
            role = "bare"
        mentions.append(UnitMention(doc[i].text, i, role, props))
    return mentions


def decide_location(
    registry: Registry,
    signals: Signals,
    orths: list[int],
    units: dict[int, list[tuple[str, str]]],
    tenancies: list[Tenant],
    text: str,
    normalized: str,
) -> tuple[Decision, Decision]:
    """The (property, unit) of the reporter's home, as two decisions; `tenancies` are the sender's."""
    mentioned = [name_of(key) for key, hits in signals.cues.items() if kind_of(key) is CueKind.PROPERTY for _ in hits]
    # most often named; a tie goes to the one named first (never to set order, which varies between processes)
    named = max(dict.fromkeys(mentioned), key=mentioned.count) if mentioned else None
    mentions = find_unit_mentions(signals, orths, units, normalized)
    if named:
        mentions = [m for m in mentions if named in m.properties] or []
    prop_ev = _property_evidence(signals, named, text)
    if tenancies:
        return _from_tenancy(registry, tenancies, mentions, named, signals, text, prop_ev)
    best = max(mentions, key=lambda m: (_ROLE_SCORE[m.role], -m.token), default=None)
    if best is None:
        reasons = ["sender unknown and no unit in the text"]
        return Decision(named, 0.6 if named else 0.3, prop_ev, reasons), Decision(None, 0.3, [], reasons)
    unit_ev = [
        evidence_item(field="unit", source=f"unit-in-text:{best.role}", text=_token_text(signals, best.token, text))
    ]
    props = [named] if named else best.properties
    if len(props) != 1:
        reason = f"unit {best.unit} exists in {', '.join(props)}: property unknown"
        return Decision(None, 0.35, [], [reason]), Decision(
            _canonical_unit(registry, props[0], best.unit), 0.5, unit_ev, [reason]
        )
    conf = 0.9 if named and best.role != "bare" else 0.7
    prop_ev = prop_ev or [evidence_item(field="property", source="registry:only-property-with-unit", text=best.unit)]
    return Decision(props[0], conf, prop_ev), Decision(_canonical_unit(registry, props[0], best.unit), conf, unit_ev)


def _from_tenancy(
    registry: Registry,
    tenancies: list[Tenant],
    mentions: list[UnitMention],
    named: str | None,
    signals: Signals,
    text: str,
    prop_ev: list[EvidenceItem],
) -> tuple[Decision, Decision]:
    own = [m for m in mentions if m.role == "own"]
    candidates = [t for t in tenancies if named in (None, t.property)] or tenancies
    for mention in own + mentions:
        match = next(
            (t for t in candidates if t.unit.lower() == mention.unit and t.property in mention.properties), None
        )
        if match is not None:
            candidates = [match]
            break
    tenant = candidates[0]
    source = f"registry:tenant {tenant.name}"
    reasons = [] if len(candidates) == 1 else [f"sender has {len(candidates)} tenancies"]
    if own and own[0].unit != tenant.unit.lower():
        claim = own[0]
        props = [named] if named else ([tenant.property] if tenant.property in claim.properties else claim.properties)
        if len(props) == 1:
            reason = f"text says unit {claim.unit}, registry says {tenant.property} {tenant.unit}"
            unit_ev = [
                evidence_item(field="unit", source="unit-in-text:own", text=_token_text(signals, claim.token, text))
            ]
            return (
                Decision(props[0], 0.55, prop_ev, [reason]),
                Decision(_canonical_unit(registry, props[0], claim.unit), 0.55, unit_ev, [reason]),
            )
    if named and named != tenant.property:
        reasons.append(f"text names {named}, sender's tenancy is in {tenant.property}")
    conf = 0.95 if not reasons else 0.55
    return (
        Decision(
            tenant.property, conf, [evidence_item(field="property", source=source, text=tenant.property)], reasons
        ),
        Decision(tenant.unit, conf, [evidence_item(field="unit", source=source, text=tenant.unit)], reasons),
    )


def _property_evidence(signals: Signals, named: str | None, text: str) -> list[EvidenceItem]:
    if not named:
        return []
    hit = signals.cues[cue_key(CueKind.PROPERTY, named)][0]
    return [evidence_item(field="property", source="property-name", text=span_text(signals, hit.start, hit.end, text))]


def _token_text(signals: Signals, token: int, text: str) -> str:
    start = max(0, token - 2)
    return span_text(signals, start, token + 1, text)


def _canonical_unit(registry: Registry, property_id: str, unit: str) -> str:
    prop = registry.property(property_id)
    return next((u for u in (prop.units if prop else []) if u.lower() == unit), unit.upper())
