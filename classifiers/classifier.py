"""The classification stage: one message in, one `Classification` out (category, urgency, where, who pays).

`Classifier.load` reads the rules once and compiles every term list into one spaCy PhraseMatcher;
`classify` normalises the text, reads its signals and takes each decision with its confidence and evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

from spacy.tokens import Doc

from classifiers.billing import BillingDecision, decide_billing
from classifiers.cues import CueKind, kind_of
from classifiers.decide import Decision, decide_topic, decide_urgency, flag_evidence
from classifiers.frames import apply_containment, frame_evidence
from classifiers.issues import Signals
from classifiers.learned.features import signal_features, text_features
from classifiers.learned.model import DEFAULT_MODEL, BoundModel, UrgencyModel, load_model
from classifiers.learned.policy import combine
from classifiers.lexicon import Lexicon, normalize
from classifiers.location import decide_location
from classifiers.models import Classification, ClassifyInput, evidence_item
from classifiers.review import review_reasons
from classifiers.ruleset import RuleSet, load_ruleset
from classifiers.safety import emergency_reasons
from classifiers.signals import read_signals
from classifiers.term_lists import term_lists
from store.registry import Registry, Tenant

# The classifier reads at most this many characters of a body: mail may be 40 MB, and what matters for the topic
# and urgency is at the start. The rest is kept on the message but not read (an evidence item says so).
MAX_READ_CHARS = 50_000
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|wg|rv|tr|sv)\s*:\s*)+", re.IGNORECASE)


@dataclass(slots=True)
class Reading:
    """What the rules read in a message and decided about its topic and urgency."""

    text: str
    normalized: str
    orths: list[int]
    signals: Signals
    category: Decision
    subcategory: Decision
    urgency: Decision
    emergency: list[str]


# What billing depends on: category, subcategory, urgency, property, unit, and the day.
BillingKey = tuple[str | None, str | None, str | None, str | None, str | None, date]


def _first_line_end(doc: Doc) -> int:
    """Index of the token holding the new line that ends the subject line (subjects are one line)."""
    for token in doc:
        if "\n" in token.text:
            return token.i
    return len(doc)


class Classifier:
    """Reads rules and registry once; `classify` is a pure function of the message after that."""

    def __init__(
        self,
        rules: RuleSet,
        registry: Registry,
        review_threshold: float = 0.6,
        model: UrgencyModel | None | Literal["shipped"] = "shipped",
    ) -> None:
        """`model`: the urgency model to combine with the rules (classifiers/learned), "shipped" for the one
        in the package (when it exists), None for the rules alone."""
        self.rules, self.registry, self.review_threshold = rules, registry, review_threshold
        lists = term_lists(rules, registry)
        self._property_keys = frozenset(key for key in lists if kind_of(key) is CueKind.PROPERTY)  # name a property
        self.lexicon = Lexicon(lists)
        strings = self.lexicon.vocab.strings
        self._tenancy_cache: dict[str, list[Tenant]] = {}
        # Billing depends only on these six values, and a home's location only on the sender when the text
        # names no property and no unit: remembered, as the rules and registry do not change once loaded.
        self._billing_cache: dict[BillingKey, BillingDecision] = {}
        self._location_cache: dict[str | None, tuple[Decision, Decision]] = {}
        self._newline = self.lexicon.vocab.strings.add("\n")
        self._bounds: dict[int, int] = {}  # ORTH id -> 0 word, 1 clause break, 2 contrast, 3 sentence end (cache)
        self.units: dict[int, list[tuple[str, str]]] = {}
        for prop in registry.properties:
            for unit in prop.units:
                self.units.setdefault(strings.add(unit.lower()), []).append((prop.id, unit))
        self._unit_orths = frozenset(self.units)
        if isinstance(model, str):  # "shipped"
            model = load_model() if DEFAULT_MODEL.exists() else None
        self.model = BoundModel(model, strings) if model is not None else None

    def _subject_end(self, doc: Doc, orths: list[int]) -> int:
        try:  # subject and body are joined by exactly one "\n", which the tokenizer keeps as its own token
            return orths.index(self._newline)
        except ValueError:
            return _first_line_end(doc)

    def _tenancies(self, sender: str | None) -> list[Tenant]:
        """The sender's tenancies, remembered: the registry does not change under a loaded classifier."""
        if not sender:
            return []
        found = self._tenancy_cache.get(sender)
        if found is None:
            found = self._tenancy_cache[sender] = self.registry.tenants_for_sender(sender)
            if len(self._tenancy_cache) > 50_000:  # bounded: senders are unbounded in a long-running worker
                self._tenancy_cache.clear()
        return found

    def _billing(self, key: BillingKey) -> BillingDecision:
        found = self._billing_cache.get(key)
        if found is None:
            found = self._billing_cache[key] = decide_billing(self.rules.billing, self.registry, *key)
            if len(self._billing_cache) > 50_000:
                self._billing_cache.clear()
        return found

    def _location(
        self, signals: Signals, orths: list[int], sender: str | None, text: str, normalized: str
    ) -> tuple[Decision, Decision]:
        """Property and unit; by sender alone (remembered) when the text names no property and no unit id."""
        if not self._unit_orths.isdisjoint(orths) or not self._property_keys.isdisjoint(signals.cues):
            return decide_location(self.registry, signals, orths, self.units, self._tenancies(sender), text, normalized)
        found = self._location_cache.get(sender)
        if found is None:
            found = decide_location(
                self.registry, signals, orths, self.units, self._tenancies(sender), text, normalized
            )
            self._location_cache[sender] = found
            if len(self._location_cache) > 50_000:
                self._location_cache.clear()
        return found

    @classmethod
    def load(
        cls,
        rules_dir: Path,
        registry: Registry,
        review_threshold: float = 0.6,
        model: UrgencyModel | None | Literal["shipped"] = "shipped",
    ) -> Classifier:
        """Read and validate `rules_dir`; invalid YAML raises ClassifierConfigError naming file:line."""
        return cls(load_ruleset(Path(rules_dir)), registry, review_threshold, model)

    def read(self, item: ClassifyInput) -> Reading:
        """The rules' half of classification: the message's signals, topic and urgency (no location, no billing).

        Only the first MAX_READ_CHARS characters of the body are read; the rest is not."""
        raw_subject = item.subject or ""
        # Every reply/forward prefix ends in a colon: most subjects have none and skip the regex.
        subject = (_REPLY_PREFIX.sub("", raw_subject) if ":" in raw_subject else raw_subject).strip()
        body = item.body.lstrip() if subject else item.body
        cut = len(body) > MAX_READ_CHARS
        body = body[:MAX_READ_CHARS] if cut else body
        text = f"{subject}\n{body}" if subject else body
        normalized = normalize(text)
        doc, orths, hits = self.lexicon.match(normalized)
        subject_end = self._subject_end(doc, orths) if subject else 0
        reply = subject != raw_subject  # "Re:" / "Fwd:" removed
        signals = read_signals(self.rules, doc, orths, hits, subject_end, reply, self._bounds)
        apply_containment(self.rules, signals, orths, self._bounds)
        category, subcategory = decide_topic(self.rules, signals, text)
        urgency = decide_urgency(self.rules, signals, category.value or self.rules.taxonomy.fallback, text, normalized)
        if signals.frames:
            urgency.evidence += [evidence_item("urgency", source, words) for source, words in frame_evidence(signals)]
        if cut:
            urgency.evidence.append(
                evidence_item(
                    "urgency", "truncated", f"only the first {MAX_READ_CHARS} characters of the body were read"
                )
            )
        emergency = emergency_reasons(self.rules, signals, urgency, text)
        return Reading(text, normalized, orths, signals, category, subcategory, urgency, emergency)

    def urgency_features(self, reading: Reading) -> list[str]:
        """The urgency model's feature names of a read message (what `intake train` learns from)."""
        words = [token.text for token in reading.signals.doc]
        return text_features(words) + signal_features(
            reading.signals, reading.urgency, reading.category.value, bool(reading.emergency)
        )

    def classify(self, item: ClassifyInput) -> Classification:
        """Every decision about one message, with confidences, evidence and the reasons to review it."""
        reading = self.read(item)
        text, normalized, orths, signals = reading.text, reading.normalized, reading.orths, reading.signals
        category, subcategory, urgency, emergency = (
            reading.category,
            reading.subcategory,
            reading.urgency,
            reading.emergency,
        )
        if self.model is not None and urgency.value != "urgent":  # the model never lowers the rules' urgent
            names = signal_features(signals, urgency, category.value, bool(emergency))
            prediction = self.model.predict(self.model.rows(orths, names))
            urgency, flag = combine(urgency, prediction, self.model.model.thresholds)
            if urgency.value == "urgent":
                emergency = []  # raised: no longer a mere possibility
            elif flag is not None:
                emergency = [*emergency, flag]
        prop, unit = self._location(signals, orths, item.sender, text, normalized)
        on = (item.received_at or datetime.now(UTC)).date()
        billing = self._billing((category.value, subcategory.value, urgency.value, prop.value, unit.value, on))
        confidence = {
            "category": category.confidence,
            "subcategory": subcategory.confidence,
            "urgency": urgency.confidence,
            "property": prop.confidence,
            "unit": unit.confidence,
            "billing_type": billing.confidence,
        }
        evidence = (
            category.evidence
            + subcategory.evidence
            + urgency.evidence
            + prop.evidence
            + unit.evidence
            + billing.evidence
            + flag_evidence(signals, text)
        )
        reasons = (
            category.reasons
            + subcategory.reasons
            + urgency.reasons
            + prop.reasons
            + unit.reasons
            + billing.reasons
            + review_reasons(self.rules, signals, category, urgency, text)
        )
        threshold = self.review_threshold
        for name, value in confidence.items():
            if value < threshold:
                reasons.append(f"low confidence in {name} ({value:.2f})")
        return Classification.model_validate(
            {
                "category": category.value,
                "subcategory": subcategory.value,
                "urgency": urgency.value,
                "property": prop.value,
                "unit": unit.value,
                "billing_type": billing.billing_type,
                "requires_approval": billing.requires_approval,
                "estimated_cost": billing.estimated_cost,
                "currency": billing.currency,
                "confidence": confidence,
                "evidence": evidence,
                "needs_review": bool(reasons),
                "review_reasons": list(dict.fromkeys(reasons)),
                "possible_emergency": bool(emergency),
                "emergency_reasons": emergency,
            }
        )
