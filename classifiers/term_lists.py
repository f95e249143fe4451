"""Every term list the lexicon compiles, keyed by cue (cues.py): from the rules files and from the registry.

The order of the lists is the order the matcher learns them in, and so the order of equal hits: kept stable.
"""

from __future__ import annotations

import re

from classifiers.combine import group_key
from classifiers.cues import URGENCY_STATES, Cue, CueKind, cue_key, state_name
from classifiers.frames import frame_lists
from classifiers.lexicon import normalize
from classifiers.ruleset import RuleSet, Terms
from store.registry import Property, Registry

_ADDRESS_WORDS = {
    "street": ["st"],
    "avenue": ["ave", "av"],
    "court": ["ct", "crt"],
    "boulevard": ["blvd"],
    "apartments": ["apts", "apt"],
    "road": ["rd"],
    "terrace": ["ter"],
}
_GENERIC_TAIL = {"apartments", "apts", "homes", "residences", "building", "lofts"}
# A list that must exist but should never match: spaCy refuses an empty pattern list.
_NEVER = ["\x00"]


def property_phrases(prop: Property) -> set[str]:
    """Ways tenants write a property: name, aliases, street of the address, with common abbreviations."""
    names = [prop.name, *prop.aliases]
    if prop.address:
        street = prop.address.split(",")[0]
        names.append(re.sub(r"^\s*\d+\w?\s+", "", street))
    phrases: set[str] = set()
    for name in names:
        words = normalize(name).split()
        variants = [words]
        if len(words) > 2 and words[-1] in _GENERIC_TAIL:
            variants.append(words[:-1])
        for variant in list(variants):
            for i, word in enumerate(variant):
                for short in _ADDRESS_WORDS.get(word, []):
                    variants.append(variant[:i] + [short] + variant[i + 1 :])
        phrases |= {" ".join(v) for v in variants if v}
    return phrases


def term_lists(rules: RuleSet, registry: Registry) -> dict[str, list[str]]:
    """Every list of terms to match, by its cue key: concepts, hazards, combination groups, frames, alert words,
    states, unit words, requests and asides, beyond-home words, and the registry's property names."""
    urgency, units, taxonomy = rules.urgency, rules.units, rules.taxonomy
    lists = {cue_key(CueKind.CONCEPT, n): c.terms for n, c in taxonomy.concepts.items()}
    lists |= {cue_key(CueKind.HAZARD, n): c.terms for n, c in urgency.hazards.items()}
    lists |= {group_key(n, i): group for n, c in urgency.combinations.items() for i, group in enumerate(c.all_of)}
    lists |= frame_lists(rules)
    if urgency.review.alert:
        lists[Cue.ALERT.value] = urgency.review.alert
    for cue in URGENCY_STATES:
        terms: Terms | None = getattr(urgency, state_name(cue))
        if terms is not None:
            lists[cue.value] = terms.terms
    lists |= {
        Cue.UNIT.value: units.unit_words,
        Cue.OWN_UNIT.value: units.own_words,
        Cue.NEIGHBOUR.value: units.neighbour_words,
        Cue.NOT_UNIT_BEFORE.value: units.not_unit_before,
        Cue.NOT_UNIT_AFTER.value: units.not_unit_after,
    }
    if taxonomy.requests is not None:
        lists[Cue.REQUEST.value] = taxonomy.requests.terms
    if taxonomy.asides is not None:
        lists[Cue.ASIDE.value] = taxonomy.asides.terms
    if taxonomy.beyond_home is not None:
        lists[Cue.BEYOND_HOME.value] = taxonomy.beyond_home.terms
        lists[Cue.IN_HOME.value] = taxonomy.beyond_home.in_home or _NEVER
    lists |= {cue_key(CueKind.PROPERTY, p.id): sorted(property_phrases(p)) for p in registry.properties}
    return lists
