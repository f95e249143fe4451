"""The classification rules as typed objects, read once from `rules/*.yaml` and validated on load.

Files: taxonomy.yaml (categories and topic concepts), urgency.yaml (dangers, states, negation, resolution,
temperatures), units.yaml (unit cue words), billing.yaml (who pays). Read with the YAML reader every file of
`rules/` shares (`intake.core.marked_yaml`); every mistake of every file is collected with file:line:column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from classifiers.errors import ClassifierConfigError
from intake.core.marked_yaml import Marks, read_yaml
from intake.core.problems import Problem, validate
from intake.core.vocabulary import URGENCY_LEVELS

Level = Literal["urgent", "high", "standard", "low"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def check_terms(terms: list[str]) -> list[str]:
    for term in terms:
        for word in term.split():
            if word.endswith("*") and len(word.rstrip("*")) < 4:
                raise ValueError(f"{term!r}: a `word*` stem needs at least 4 letters (short stems match too much)")
    return terms


class Terms(_Strict):
    terms: list[str] = Field(min_length=1)

    _stems = field_validator("terms")(classmethod(lambda cls, v: check_terms(v)))


class Concept(_Strict):
    """A named group of words that signals a topic and, optionally, an urgency."""

    topic: str | None = None  # "category" or "category/subcategory"
    weight: float = Field(default=1.0, ge=0)
    level: Level | None = None
    failure: Level | None = None
    impaired: Level | None = None
    climate: Literal["heat", "cool"] | None = None
    utility: bool = False
    steady: bool = False  # a danger no wording softens ("not urgent", "small") - gas, fire, sparks
    asked: float = Field(default=0, ge=0)  # extra vote when asked about ("could you send…", a "?" sentence)
    terms: list[str] = Field(min_length=1)

    _stems = field_validator("terms")(classmethod(lambda cls, v: check_terms(v)))


class BeyondHome(_Strict):
    terms: list[str] = Field(min_length=1)
    in_home: list[str] = Field(default_factory=list)


class CategorySpec(_Strict):
    subcategories: list[str] = Field(default_factory=list)
    default_urgency: Level = "standard"


class Voting(_Strict):
    """How mentions add up to a topic: the main topic of a message outweighs a passing mention."""

    repeat_share: float = Field(default=0.5, ge=0, le=1)  # each further mention of a concept adds this x weight
    repeat_cap: int = Field(default=2, ge=0, le=10)  # ... for at most this many further mentions
    settled_share: float = Field(default=0.5, ge=0, le=1)  # vote share of a danger that is over and paid for


class Taxonomy(_Strict):
    categories: dict[str, CategorySpec] = Field(min_length=1)
    fallback: str = "other"
    concepts: dict[str, Concept] = Field(default_factory=dict)
    beyond_home: BeyondHome | None = None
    requests: Terms | None = None  # request and question cues ("could you", "can i", "how much")
    asides: Terms | None = None  # "also", "by the way": a request in such a sentence is a side question
    voting: Voting = Field(default_factory=Voting)

    @model_validator(mode="after")
    def _fallback_exists(self) -> Taxonomy:
        if self.fallback not in self.categories:
            raise ValueError(f"fallback {self.fallback!r} is not a category")
        return self  # concept topics are checked by `read_ruleset`, each at its own line


def check_topic(categories: dict[str, CategorySpec], name: str, topic: str | None) -> None:
    if topic is None:
        return
    category, _, sub = topic.partition("/")
    spec = categories.get(category)
    if spec is None:
        raise ValueError(f"concept {name!r}: unknown category {category!r} (known: {', '.join(categories)})")
    if sub and sub not in spec.subcategories:
        raise ValueError(f"concept {name!r}: category {category!r} has no subcategory {sub!r}")


class Temperature(_Strict):
    no_heat_below_f: float = 45
    no_heat_vulnerable_below_f: float = 55
    no_heat_mild_above_f: float = 64
    no_cooling_above_f: float = 95
    cooling_high_above_f: float = 85
    bare_degrees_celsius_max: float = 40


class Combination(_Strict):
    """A concept or hazard found by words of every group of `all_of` within `window` tokens in one sentence."""

    all_of: list[list[str]] = Field(min_length=2)
    window: int = Field(default=6, ge=1, le=20)

    _stems = field_validator("all_of")(classmethod(lambda cls, v: [check_terms(group) for group in v]))


Danger = Literal["person", "water", "electricity", "gas", "fire", "heat", "security", "service"]
FRAME_REFERENCES = ("failure", "impaired", "negation", "vulnerable")  # `@name` slot words: the lists below


class Frame(_Strict):
    """A danger told in any words: one word of every slot within `window` tokens, in one sentence, any order
    ("my son is stuck in the lift" = who x state x place). A slot word `@failure` stands for a whole list."""

    level: Level
    danger: Danger  # what is at risk: the safety net's reason
    topic: str | None = None
    weight: float = Field(default=4.0, ge=0)
    steady: bool = False  # no wording softens it ("small", "not urgent", a bucket)
    window: int = Field(default=8, ge=1, le=20)
    slots: dict[str, list[str]] = Field(min_length=2)
    unless: list[str] = Field(default_factory=list)  # a word of these in its sentence cancels it ("a stain")

    @field_validator("slots")
    @classmethod
    def _slots(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, words in v.items():
            if not words:
                raise ValueError(f"slot {name!r} is empty")
            for word in words:
                if word.startswith("@") and word[1:] not in FRAME_REFERENCES:
                    raise ValueError(
                        f"slot {name!r}: unknown list {word!r} (known: {', '.join('@' + r for r in FRAME_REFERENCES)})"
                    )
            check_terms([w for w in words if not w.startswith("@")])
        return v


class SafetyNet(_Strict):
    """When a message that did not come out urgent is flagged `possible_emergency` (see classifiers/safety.py)."""

    unsure_below: float = Field(default=0.7, ge=0, le=1)  # urgency confidence under this + a danger word


class Review(_Strict):
    """When an urgency decision needs a human although every confidence is above the threshold."""

    alert: list[str] = Field(default_factory=list)  # danger words that alone prove nothing ("gas", "smoke")
    alert_below: float = Field(default=0.9, ge=0, le=1)  # ... sent to review below this category confidence
    urgent_below: float = Field(default=0.75, ge=0, le=1)  # an urgent ticket whose category is this unsure

    _stems = field_validator("alert")(classmethod(lambda cls, v: check_terms(v)))


class Urgency(_Strict):
    hazards: dict[str, Concept] = Field(default_factory=dict)
    combinations: dict[str, Combination] = Field(default_factory=dict)
    frames: dict[str, Frame] = Field(default_factory=dict)
    containment: Terms | None = None  # "a bucket catches it", "once a minute": an urgent leak is held in check
    contained_to: Level = "high"
    safety_net: SafetyNet = Field(default_factory=SafetyNet)
    review: Review = Field(default_factory=Review)
    failure: Terms
    impaired: Terms
    negation: Terms
    benign: Terms | None = None
    resolution: Terms
    recurrence: Terms
    deescalation: Terms
    deescalate_to: Level = "standard"
    minor: Terms
    minor_to: Level = "standard"
    vulnerable: Terms
    past: Terms | None = None  # "was", "had": a danger told as a past event ...
    settled: Terms | None = None  # ... in a message about paying for it ("invoice", "reimburse") is over
    temperature: Temperature = Field(default_factory=Temperature)
    state_window: int = Field(default=6, ge=1, le=20)
    negation_window: int = Field(default=3, ge=1, le=10)

    @model_validator(mode="after")
    def _hazards_have_levels(self) -> Urgency:
        for name, hazard in self.hazards.items():
            if hazard.level is None:
                raise ValueError(f"hazard {name!r} needs a level ({', '.join(URGENCY_LEVELS)})")
        return self


class Units(_Strict):
    unit_words: list[str]
    own_words: list[str]
    neighbour_words: list[str]
    not_unit_before: list[str]
    not_unit_after: list[str]


class Billing(_Strict):
    billed_categories: list[str] = Field(default_factory=lambda: ["maintenance"])
    order: list[Literal["guarantee", "sla", "billable"]] = ["guarantee", "sla", "billable"]  # copied per instance
    billable_requires_approval: bool = True
    review_when_no_fee: bool = True


class RuleSet(_Strict):
    taxonomy: Taxonomy
    urgency: Urgency
    units: Units
    billing: Billing


FILES: dict[str, type[BaseModel]] = {
    "taxonomy.yaml": Taxonomy,
    "urgency.yaml": Urgency,
    "units.yaml": Units,
    "billing.yaml": Billing,
}


def read_ruleset(rules_dir: Path) -> tuple[RuleSet | None, list[Problem]]:
    """Read and validate the four classification files of `rules_dir`: the rule set, or None and every problem."""
    rules_dir = Path(rules_dir)
    parts: dict[str, BaseModel] = {}
    marks: dict[str, Marks] = {}
    problems: list[Problem] = []
    for name, model in FILES.items():
        data, marks[name], found = read_yaml(rules_dir / name)
        problems += found
        if data is not None:
            valid, invalid = validate(data, model, marks[name])
            problems += invalid
            if valid is not None:
                parts[name] = valid
    if len(parts) < len(FILES):
        return None, problems
    ruleset = RuleSet(**{name.removesuffix(".yaml"): part for name, part in parts.items()})
    problems += _cross_checks(ruleset, marks["taxonomy.yaml"], marks["urgency.yaml"])
    return (None, problems) if problems else (ruleset, [])


_UNIQUE = "names must be unique"


def _cross_checks(ruleset: RuleSet, taxonomy: Marks, urgency: Marks) -> list[Problem]:
    """Topics name real categories, hazard and concept names are unique, combinations raise something known."""
    problems = []
    categories = ruleset.taxonomy.categories
    for name, concept in ruleset.taxonomy.concepts.items():
        try:
            check_topic(categories, name, concept.topic)
        except ValueError as exc:
            problems.append(taxonomy.problem(("concepts", name, "topic"), f"concepts.{name}: {exc}"))
    for name, hazard in ruleset.urgency.hazards.items():
        try:
            check_topic(categories, name, hazard.topic)
        except ValueError as exc:
            problems.append(urgency.problem(("hazards", name), f"hazards.{name}: {exc}", key=True))
        if name in ruleset.taxonomy.concepts:
            message = f"hazard {name!r} is also a concept in taxonomy.yaml"
            problems.append(urgency.problem(("hazards", name), message, _UNIQUE, key=True))
    for name in ruleset.urgency.combinations:
        if name not in ruleset.urgency.hazards and name not in ruleset.taxonomy.concepts:
            message = (
                f"combinations.{name}: not a hazard here nor a concept in taxonomy.yaml "
                "(a combination raises one of those)"
            )
            problems.append(urgency.problem(("combinations", name), message, key=True))
    for name, frame in ruleset.urgency.frames.items():
        try:
            check_topic(categories, name, frame.topic)
        except ValueError as exc:
            problems.append(urgency.problem(("frames", name), f"frames.{name}: {exc}", key=True))
        if name in ruleset.urgency.hazards or name in ruleset.taxonomy.concepts:
            message = f"frames.{name}: a hazard or concept has the same name"
            problems.append(urgency.problem(("frames", name), message, _UNIQUE, key=True))
    return problems


def load_ruleset(rules_dir: Path) -> RuleSet:
    """Read and validate the four classification files of `rules_dir`; any problem raises ClassifierConfigError
    listing every problem as file:line:column."""
    ruleset, problems = read_ruleset(rules_dir)
    if ruleset is None:
        raise ClassifierConfigError(problems)
    return ruleset
