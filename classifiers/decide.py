"""Decide category/subcategory and urgency from a message's signals, each with confidence and evidence.

Topic: every concept or hazard votes for its topic (votes.py); the category with most votes wins. Urgency:
the most urgent active issue of the chosen category (dangers count whatever their category), then
temperatures, then "it can wait".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from classifiers.cues import Cue, is_hazard
from classifiers.issues import Issue, Signals
from classifiers.models import EvidenceItem, evidence_item
from classifiers.ruleset import RuleSet
from classifiers.signals import RANK, SIGNALS, rank
from classifiers.temperature import temperatures_f
from classifiers.votes import concept_votes, margin_confidence


@dataclass(slots=True)
class Decision:
    """One field's value with its confidence, evidence and reasons for review."""

    value: str | None
    confidence: float
    evidence: list[EvidenceItem] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # why a human should look, if anything


def span_text(signals: Signals, start: int, end: int, original: str) -> str:
    """The original text of tokens `start:end` (remembered: the same span is often evidence twice)."""
    found = signals.texts.get((start, end))
    if found is None:
        doc = signals.doc
        last = doc[end - 1]
        found = signals.texts[start, end] = original[doc[start].idx : last.idx + len(last)]
    return found


def decide_topic(rules: RuleSet, signals: Signals, text: str) -> tuple[Decision, Decision]:
    """Category and subcategory."""
    votes = concept_votes(signals, rules.taxonomy.voting)
    scores: dict[str, float] = {}
    best: dict[str, tuple[float, Issue]] = {}  # topic -> its strongest vote
    for vote, issue in votes.values():
        topic = issue.concept.topic
        if topic is None:  # only concepts with a topic vote
            continue
        scores[topic] = scores.get(topic, 0.0) + vote
        if topic not in best or vote > best[topic][0]:
            best[topic] = (vote, issue)
    outage = _utility_outage(signals)
    if outage is not None:
        ev = evidence_item(
            field="category",
            source=f"beyond-home:{outage.name}",
            text=span_text(signals, outage.hit.start, outage.hit.end, text),
        )
        return Decision("utilities", 0.85, [ev]), Decision(None, 0.85)
    if not scores:
        fallback = rules.taxonomy.fallback
        ev = evidence_item(field="category", source="fallback", text="")
        return Decision(fallback, 0.35, [ev], ["no topic words"]), Decision(None, 0.35)
    categories: dict[str, float] = {}
    for topic, score in scores.items():
        category = topic.partition("/")[0]
        categories[category] = categories.get(category, 0.0) + score
    single = len(categories) == 1  # most messages: no runner-up to look for
    category = next(iter(categories)) if single else max(categories, key=categories.__getitem__)
    top = categories[category]
    asking = [i for _, i in votes.values() if i.asked and (i.concept.topic or "").partition("/")[0] == category]
    asked = sum(i.concept.asked for i in asking) if asking else 0
    runner_up = 0.0 if single else max((v for c, v in categories.items() if c != category), default=0.0)
    confidence = margin_confidence(top, runner_up, top - asked)  # being asked about a topic is no evidence of it
    ranked = sorted(
        [(score, topic) for topic, score in scores.items() if topic.partition("/")[0] == category], key=_by_score
    )  # stable: on a tie the topic mentioned first wins
    lead = best[ranked[0][1]][1]
    decision = Decision(category, confidence, [_evidence("category", lead, signals, text)])
    subs = [(score, topic) for score, topic in ranked if "/" in topic]
    if not rules.taxonomy.categories[category].subcategories:
        return decision, Decision(None, confidence)
    if not subs:
        return decision, Decision(None, 0.3, [], [f"no subcategory for {category}"])
    sub_conf = min(confidence, margin_confidence(subs[0][0], subs[1][0] if len(subs) > 1 else 0.0))
    sub_topic = subs[0][1]
    sub_issue = best[sub_topic][1]
    sub_ev = (
        {**decision.evidence[0], "field": "subcategory"}
        if sub_issue is lead
        else _evidence("subcategory", sub_issue, signals, text)
    )
    return decision, Decision(sub_topic.partition("/")[2], sub_conf, [sub_ev])


def _by_score(pair: tuple[float, str]) -> float:
    return -pair[0]


def _utility_outage(signals: Signals) -> Issue | None:
    if not signals.has(Cue.BEYOND_HOME) or signals.has(Cue.IN_HOME):
        return None
    return next(
        (i for i in signals.issues if i.active and i.concept.utility and i.source in ("state:failure", "hazard")), None
    )


def _evidence(field_name: str, issue: Issue, signals: Signals, text: str) -> EvidenceItem:
    source = f"{'hazard' if issue.source == 'hazard' else 'concept'}:{issue.name}"
    start, end = issue.hit.start, issue.hit.end
    if issue.state is not None:
        source += f"+{issue.source}"
        start, end = min(start, issue.state.start), max(end, issue.state.end)
    return evidence_item(field=field_name, source=source, text=span_text(signals, start, end, text))


def decide_urgency(rules: RuleSet, signals: Signals, category: str, text: str, normalized: str) -> Decision:
    """Urgency level of the message for its category."""
    urgency = rules.urgency
    counted: list[Issue] = []  # active issues with a level that count for this category
    mentions: list[Issue] = []  # active climate mentions of this category, without a level of their own
    for issue in signals.issues:  # one pass for both lists
        if not issue.active:
            continue
        concept = issue.concept
        if issue.level:
            if issue.source == "hazard" or concept.utility or (concept.topic or "").partition("/")[0] == category:
                counted.append(issue)
        elif issue.level is None and concept.climate and (concept.topic or "").partition("/")[0] == category:
            mentions.append(issue)
    for issue in counted:
        if issue.minor and not issue.concept.steady and rank(issue.level) > RANK[urgency.minor_to]:
            issue.level = urgency.minor_to
    _apply_temperatures(rules, signals, counted, mentions, normalized)
    reasons: list[str] = []
    if counted:
        top = counted[0] if len(counted) == 1 else max(counted, key=lambda i: (rank(i.level), i.source == "hazard"))
        level, confidence = top.level, 0.85 if top.source != "concept" else 0.75
        evidence = [_evidence("urgency", top, signals, text)]
    elif any(i.resolved for i in signals.issues) or signals.resolved_message:
        level, confidence = "low", 0.75
        cues = signals.cues.get(Cue.RESOLUTION)
        said = span_text(signals, cues[0].start, cues[0].end, text) if cues else ""
        evidence = [evidence_item(field="urgency", source="resolution", text=said)] if cues else []
    else:
        level = rules.taxonomy.categories[category].default_urgency
        confidence = 0.65
        evidence = [evidence_item(field="urgency", source=f"default:{category}", text="")]
    calm = signals.cues.get(Cue.DEESCALATION)
    if calm and rank(level) > RANK[urgency.deescalate_to]:
        steady = counted and max(counted, key=lambda i: rank(i.level)).concept.steady
        calm_text = span_text(signals, calm[0].start, calm[0].end, text)
        if steady:
            reasons.append(f"danger reported but sender says {calm_text!r}")
            confidence = 0.5
        else:
            level = urgency.deescalate_to
            evidence.append(evidence_item(field="urgency", source="deescalation", text=calm_text))
    return Decision(level, confidence, evidence, reasons)


def _apply_temperatures(
    rules: RuleSet, signals: Signals, counted: list[Issue], mentions: list[Issue], normalized: str
) -> None:
    """Temperatures in the text raise or lower climate issues; a cold (or hot) home is urgent on its own.

    With a failure word ("no heat") any temperature counts, outdoors too ("2 degrees outside"); a mere
    mention ("the radiators are ice cold") needs an indoor temperature past the threshold.
    """
    climate = [i for i in counted if i.concept.climate] + mentions
    if not climate:
        return
    temps = temperatures_f(normalized, rules.urgency.temperature.bare_degrees_celsius_max)
    if not temps:
        return
    limits = rules.urgency.temperature
    every = [t for t, _ in temps]
    indoor = [t for t, outside in temps if not outside]
    cold = limits.no_heat_vulnerable_below_f if signals.has(Cue.VULNERABLE) else limits.no_heat_below_f
    for issue in climate:
        before = issue.level
        if issue.concept.climate == "heat" and issue.source == "state:failure":
            if min(every) < cold:
                issue.level, issue.source = "urgent", "temperature"
            elif min(every) >= limits.no_heat_mild_above_f:  # no heat, but still warm enough to live in
                issue.level = "high"
        elif issue.concept.climate == "heat":  # weak heating or a mention: only if the home itself is that cold
            if indoor and min(indoor) < cold:
                issue.level, issue.source = "urgent", "temperature"
        elif issue.concept.climate == "cool" and (issue.source.startswith("state:") or issue.level):
            if max(every) > limits.no_cooling_above_f:
                issue.level, issue.source = "urgent", "temperature"
            elif max(every) > limits.cooling_high_above_f:
                issue.level = "high"
        elif issue.concept.climate == "cool" and indoor and max(indoor) > limits.no_cooling_above_f:
            issue.level, issue.source = "urgent", "temperature"
        if before is None and issue.level is not None:  # a mention that the temperature made an issue
            counted.append(issue)


def flag_evidence(signals: Signals, text: str) -> list[EvidenceItem]:
    """Evidence of every hazard the message reports (`hazard:NAME`, neither negated nor resolved) and of every
    signal (`signal:NAME`, see SIGNALS), first mention each: what assignment rules see as `hazard` / `signal`."""
    found: list[EvidenceItem] = []
    seen: set[str] = set()
    for issue in signals.issues:
        if issue.active and is_hazard(issue.hit.key) and issue.name not in seen:  # a hazard, with a state or not
            seen.add(issue.name)
            found.append(
                evidence_item(
                    field="hazard",
                    source=f"hazard:{issue.name}",
                    text=span_text(signals, issue.hit.start, issue.hit.end, text),
                )
            )
    for name, key in SIGNALS.items():
        hits = signals.cues.get(key)
        if hits:
            found.append(
                evidence_item(
                    field="signal", source=f"signal:{name}", text=span_text(signals, hits[0].start, hits[0].end, text)
                )
            )
    return found
