"""Temperatures written in a message ("16C", "2 degrees outside", "98°F", "minus 3 Grad"), in °F.

Used by the urgency decision: no heat below a threshold, or no cooling above one, is an emergency
(thresholds in rules/urgency.yaml).
"""

from __future__ import annotations

import re

# Normalised (lower-case, accent-free) text. A number followed by a degree sign, a C/F unit, or a word
# for degrees; "minus"/"menos"/"moins" before it makes it negative.
_TEMPERATURE = re.compile(
    r"(?<![\w.,/$#-])(?P<minus>(?:minus|menos|moins|meno)\s+)?(?P<value>-?\d{1,3}(?:[.,]\d)?)\s*"
    r"(?:°\s*(?P<deg_unit>[cf])?(?![a-z])|(?:degrees?|degres?|deg|grados?|graus?|grad|gradi)\b\s*(?P<word_unit>[cf](?![a-z])|celsius|fahrenheit)?"
    r"|(?P<bare_unit>[cf])(?![a-z0-9]))"
)

_UNIT_WORDS = {"apt", "unit", "flat", "apartment", "suite", "no", "number", "", "depto", "apto"}


_OUTSIDE = re.compile(r"\b(?:outside|outdoors?|out there|afuera|fuera|exterior|dehors|draussen|drausen|fora|fuori)\b")


def temperatures_f(text: str, bare_celsius_max: float) -> list[tuple[float, bool]]:
    """Every temperature in normalised `text` in Fahrenheit, with whether it is said to be outdoors."""
    found = []
    for match in _TEMPERATURE.finditer(text):
        before = text[max(0, match.start() - 12) : match.start()].split()
        if match.group("bare_unit") and before and before[-1].strip("#.") in _UNIT_WORDS:
            continue  # "apt 3c" is a unit, not 3 °C
        value = float(match.group("value").replace(",", "."))
        if match.group("minus"):
            value = -abs(value)
        unit = (match.group("deg_unit") or match.group("word_unit") or match.group("bare_unit") or "")[:1]
        if not unit:
            unit = "c" if value <= bare_celsius_max else "f"
        around = text[max(0, match.start() - 14) : match.end() + 14]
        found.append((value * 9 / 5 + 32 if unit == "c" else value, bool(_OUTSIDE.search(around))))
    return found
