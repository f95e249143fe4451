"""The word hints in front of the costly quote patterns never change a result: over every line of every mail
corpus (and, for the multilingual replies, its upper-cased copy), hint-and-pattern agrees with the pattern alone."""

from __future__ import annotations

import re

import pytest

from intake.channels.email import quote_patterns as patterns
from tests.corpora import corpus

CORPORA = ["reply-trimmer", "talon", "reply-parser", "zammad-mail", "mail-parser", "autoreply-bounce", "cpython-email"]
MULTILINGUAL = {"reply-trimmer", "talon", "reply-parser"}  # replies in 13 languages: upper-cased too, for case folding
# The join's former gate, a regex over the whole text: `needs_join` must say yes wherever it did.
FORMER_JOIN_HINT = re.compile(
    rf"(?:{patterns._WROTE})|\b{patterns._VERB_THEN_DATE}|^\d{{4}}[-/]\d{{1,2}}[-/]\d{{1,2}}\s[^\n]*<$",
    re.IGNORECASE | re.MULTILINE,
)

BASE64_LINE = re.compile(r"^[A-Za-z0-9+/=]{40,}$")  # encoded parts: no quote marker in them, only time


def corpus_texts(name: str) -> list[str]:
    files = sorted(
        path for path in corpus(name).rglob("*") if path.is_file() and path.suffix.lower() not in {".zip", ".gz"}
    )
    return [path.read_bytes().decode("utf-8", "replace").replace("\r\n", "\n") for path in files]


@pytest.mark.parametrize("name", CORPORA)
@pytest.mark.slow  # every line of every corpus mail
def test_hinted_patterns_agree_with_the_patterns_alone(name):
    texts = corpus_texts(name)
    lines = {line for text in texts for line in text.split("\n") if line.strip() and not BASE64_LINE.match(line)}
    if name in MULTILINGUAL:
        lines |= {line.upper() for line in lines}
    assert len(lines) > 100  # the corpus is really there and was read
    for line in lines:
        assert patterns.is_original_marker(line) == bool(patterns._ORIGINAL.match(line)), line
        assert patterns.is_attribution(line) == bool(patterns._ATTRIBUTION.match(line)), line
    for text in texts:
        if patterns.FORWARD_MARKER.search(text):
            assert patterns.FORWARD_HINT(text), text[:200]
        if FORMER_JOIN_HINT.search(text):
            assert patterns.needs_join(text), text[:200]


@pytest.mark.parametrize(
    "line",
    [
        "-----Original Message-----",
        "---- Ursprüngliche Nachricht ----",
        "-------- Message d'origine --------",
        "Begin forwarded message:",
        "---------- Forwarded message ---------",
        "-------- Переслано сообщение --------",
        "On Mon, Feb 1, 2016 at 6:32 PM, Jeff <a@b.org> wrote:",
        "Am 03.03.2016 um 17:21 schrieb Some One:",
        "2016-03-03 17:21 GMT+01:00 Some One <a@b.org>:",
        "ON MON, FEB 1, 2016 AT 6:32 PM, JEFF <A@B.ORG> WROTE:",
        # languages the corpora lack
        "-----Wiadomość oryginalna-----",
        "----- Původní zpráva -----",
        "On Monday Ali yazdı:",
        "ON MONDAY ALI YAZDI:",
        "Le lundi, Jean a écrit :",
    ],
)
def test_known_markers_are_still_attributions(line):
    assert patterns.label_line(line) == "b"


@pytest.mark.parametrize(
    "line",
    [
        "--- Mensagem encaminhada ---",
        "Vidarebefordrat meddelande:",
        "PRZEKAZANA WIADOMOŚĆ",
        "---------- Forwarded message ---------",
        "Anfang der weitergeleiteten Nachricht:",
    ],
)
def test_forward_markers_pass_their_hint(line):
    assert patterns.FORWARD_MARKER.search(line) and patterns.FORWARD_HINT(line)
