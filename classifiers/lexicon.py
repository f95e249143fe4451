"""Text normalisation and phrase matching: the one pass of spaCy over a message that every decision reads.

The text is lower-cased and stripped of accents (length-preserving, so spans map back to the original),
tokenized by `spacy.blank("en")`, and each word gets a canonical NORM: itself, the stem of a `word*` term
("leaking" -> "leak*"), a base form ("sinks" -> "sink") or, for typos of words of five or more letters,
the nearest term word by rapidfuzz ("bathrom" -> "bathroom"). A PhraseMatcher on NORM then finds every
term of every rules list in one pass. Canonical forms are cached on the vocabulary's lexemes, so each
distinct word is looked at once per process.
"""

from __future__ import annotations

import functools
import importlib.util
import operator
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

import spacy
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein
from spacy.matcher import PhraseMatcher
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

_STOP_LANGS = ("en", "es", "pt", "fr", "de", "it")
_INFLECTIONS = ("'s", "s", "es", "ed", "d", "ing", "ly", "er")
# French and Italian elisions ("d'eau", "l'acqua", "dell'acqua", "c'è", "qu'il"): the apostrophe becomes a
# space so the next word stands alone; the elided article then reads as its full form (_ELIDED).
_ELISION = re.compile(r"\b(?:[ldjcnsmt]|qu|dell|nell|dall|sull|all|un|quest|quell|tutt)'(?=[a-z])")
_ELIDED = {
    "d": "de",
    "n": "ne",
    "j": "je",
    "qu": "que",
    "dell": "della",
    "nell": "nella",
    "dall": "dalla",
    "sull": "sulla",
    "quest": "questo",
    "quell": "quello",
}
_VOWELS = set("aeiouy")


def _fold_table() -> dict[int, str]:
    table = {ord("’"): "'", ord("‘"): "'", ord("´"): "'", ord("“"): '"', ord("”"): '"'}
    for code in range(0xC0, 0x250):
        base = unicodedata.normalize("NFD", chr(code))[0]
        if base != chr(code) and base.isascii():
            table[code] = base.lower()
    return table


_FOLD = _fold_table()


def normalize(text: str) -> str:
    """Lower-case, fold accents and split French elisions, keeping every character offset the same."""
    lowered = text.lower()
    if len(lowered) != len(text):  # rare characters whose lower case is longer ("İ"): go char by char
        lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    folded = lowered if lowered.isascii() else lowered.translate(_FOLD)  # the table maps non-ASCII only
    return _ELISION.sub(_unelide, folded) if "'" in folded else folded


def _unelide(match: re.Match[str]) -> str:
    return match.group(0)[:-1] + " "


def _stop_words() -> set[str]:
    # Read spaCy's stop-word files directly: importing `spacy.lang.fr` would load its 2 s of tokenizer data.
    words: set[str] = set()
    root = Path(spacy.__file__).parent / "lang"
    for lang in _STOP_LANGS:
        spec = importlib.util.spec_from_file_location(f"_stop_{lang}", root / lang / "stop_words.py")
        if spec is None or spec.loader is None:  # spaCy ships a stop-word file for each of these languages
            raise ImportError(f"spaCy has no stop words for {lang!r}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        words |= {normalize(w) for w in module.STOP_WORDS}
    return words


@functools.cache
def stop_words() -> frozenset[str]:
    """The six languages' stop words, normalised, read once: words that never name a topic."""
    return frozenset(_stop_words())


_START, _END = operator.itemgetter(1), operator.itemgetter(2)


def sort_by_start_longest_first(hits: list[tuple[str, int, int]]) -> None:
    """Sort (key, start, end) hits in place by start, the longest first at a start, ties in matcher order."""
    # Two stable sorts on C key functions (end descending, then start) give exactly the order of one sort on
    # (start, -end), without a Python call per hit; `reverse=True` keeps equal ends in their original order.
    hits.sort(key=_END, reverse=True)
    hits.sort(key=_START)


class Lexicon:
    """All term lists compiled into one PhraseMatcher; `match(text)` returns the doc and the hits."""

    def __init__(self, lists: Mapping[str, Iterable[str]]) -> None:
        self.nlp = spacy.blank("en")
        self.vocab = self.nlp.vocab
        self.tokenizer: Tokenizer = self.nlp.tokenizer
        self._stop = _stop_words()
        self._seen: set[int] = set()
        self._warm: set[str] = set()  # chunks already in the tokenizer's cache (or never cacheable)
        pieces = {key: [self._split(normalize(term)) for term in terms] for key, terms in lists.items()}
        words = [w for phrases in pieces.values() for phrase in phrases for w, _ in phrase]
        self._stems = {w[:-1] for w in words if w.endswith("*")}
        self._exact = {w for w in words if not w.endswith("*")}
        self._fuzzy_choices = sorted(w for w in self._exact | self._stems if len(w) >= 5 and w.isalpha())
        # Short stems written out with an ending, for typos like "leeking" ("leaking" -> "leak*").
        self._inflected = {
            stem + end: stem + "*"
            for stem in self._stems
            if len(stem) == 4 and stem.isalpha()
            for end in ("ing", "ed", "ies")
        }
        self._four = {"".join(sorted(w)) + w[0]: w for w in self._exact if len(w) == 4 and w.isalpha()}
        self.matcher = PhraseMatcher(self.vocab, attr="NORM")
        self.keys: dict[int, str] = {}
        for key, phrases in pieces.items():
            docs = [self._pattern(phrase) for phrase in phrases]
            self.matcher.add(key, [doc for doc in docs if len(doc)])
            self.keys[self.vocab.strings[key]] = key
        self._vocab_size = -1
        self._canonicalize([lexeme.orth for lexeme in self.vocab])  # words the patterns and rules brought in

    def _split(self, term: str) -> list[tuple[str, str | None]]:
        """Words of a term as (text, NORM set by a tokenizer exception or None); `word*` stays whole."""
        words: list[tuple[str, str | None]] = []
        for piece in term.split():
            if piece.endswith("*") and len(piece) > 1:
                words.append((piece, None))
            else:
                words.extend((t.text, t.norm_ if t.norm_ != t.text else None) for t in self.tokenizer(piece))
        return words

    def _pattern(self, words: list[tuple[str, str | None]]) -> Doc:
        doc = Doc(self.vocab, words=[w.rstrip("*") or w for w, _ in words])
        for token, (word, special) in zip(doc, words):
            # Tokenizer exceptions ("doesnt" -> "does" + "nt" with NORM "not") apply to text and terms alike.
            token.norm_ = special or (word if word.endswith("*") else self.canonical(word))
        return doc

    def canonical(self, word: str) -> str:
        """The form a word is matched by: stem*, term word, base form, or a typo's nearest term word."""
        if word in _ELIDED:  # "plus d eau" must match "plus de"
            return _ELIDED[word]
        for size in range(len(word), 2, -1):
            if word[:size] in self._stems:
                return word[:size] + "*"
        if word in self._exact or not word.isalpha() or word in self._stop:
            return word
        if word.endswith("ies") and word[:-3] + "y" in self._exact:  # "parties" -> "party"
            return word[:-3] + "y"
        for suffix in _INFLECTIONS:
            base = word[: -len(suffix)]
            if word.endswith(suffix) and len(base) >= 3:
                if base in self._exact:
                    return base
                if len(base) >= 4 and base[-1] == base[-2] and base[:-1] in self._exact:
                    return base[:-1]  # "clogged" -> "clog", "dripping" -> "drip"
        return self._typo(word) or word

    def _typo(self, word: str) -> str | None:
        if len(word) == 4:  # only letter swaps for short words: "veiw" -> "view"
            return self._four.get("".join(sorted(word)) + word[0])
        if len(word) < 5:
            return None
        cutoff = 85 if len(word) >= 7 else 90
        found = process.extractOne(word, self._fuzzy_choices, scorer=fuzz.ratio, score_cutoff=cutoff)
        if found is None and len(word) >= 7:  # "leeking": an inflected typo of a short stem ("leak*")
            found = process.extractOne(word, self._inflected, scorer=fuzz.ratio, score_cutoff=cutoff)
            if found is not None and _vowel_slip(word, found[0]):
                return self._inflected[found[0]]
            found = None
        if found is None:
            return None
        choice = found[0]
        # Without a dictionary a one-letter substitution often makes another real word ("leaving" / "leaking"):
        # below nine letters accept only missing, extra or swapped letters ("cloged", "cieling").
        edit_ok = (
            len(word) >= 9 or len(choice) != len(word) or sorted(choice) == sorted(word) or _vowel_slip(word, choice)
        ) and Levenshtein.distance(word, choice) <= (2 if len(word) >= 7 else 1)
        plausible = edit_ok and choice[0] == word[0] and (len(word) >= 7 or choice[:2] == word[:2])
        if not plausible:
            return None
        return choice + "*" if choice in self._stems and choice not in self._exact else self.canonical(choice)

    def doc(self, text: str) -> tuple[Doc, list[int]]:
        """Tokenize normalised text and give every new word its canonical NORM (cached on the lexeme)."""
        chunks = text.split()
        if not self._warm.issuperset(chunks):
            self._warm_cache(chunks)
        doc = self.tokenizer(text)
        # Iterating is cheaper than `to_array` for short texts, and leaves the Token objects cached on the doc
        # for the evidence spans read later.
        orths = [token.orth for token in doc]
        if len(self.vocab) != self._vocab_size:  # only a text with a never-seen word can need work
            self._canonicalize(set(orths) - self._seen)
        return doc, orths

    def _warm_cache(self, chunks: list[str]) -> None:
        # spaCy caches a whitespace-separated chunk only while no special case ("i'm", "don't") has occurred
        # earlier in the same text (spaCy #1250), so chunks after one are re-split on every message. Each
        # chunk is tokenized once on its own, where it is cached; a chunk's tokens never depend on its context.
        if len(self._warm) >= self.tokenizer.max_cache_size:  # spaCy's cache is full: nothing more to warm
            return
        for chunk in chunks:
            if chunk not in self._warm:
                self._warm.add(chunk)
                self.tokenizer(chunk)

    def _canonicalize(self, orths: Iterable[int]) -> None:
        for orth in orths:
            lexeme = self.vocab[orth]
            canonical = self.canonical(lexeme.orth_)
            if canonical != lexeme.norm_:
                lexeme.norm_ = canonical
            self._seen.add(orth)
        self._vocab_size = len(self.vocab)

    def match(self, text: str) -> tuple[Doc, list[int], list[tuple[str, int, int]]]:
        """The doc of normalised `text`, its ORTH ids, and its hits as (list key, start, end) in text order."""
        doc, orths = self.doc(text)
        keys = self.keys
        hits = [(keys[m], s, e) for m, s, e in self.matcher(doc)]
        sort_by_start_longest_first(hits)
        return doc, orths, hits

    def orth_ids(self, words: Iterable[str]) -> set[int]:
        """ORTH ids of words as the tokenizer produces them (for fast membership tests on `orths`)."""
        return {self.vocab.strings.add(word) for word in words}


def _vowel_slip(word: str, choice: str) -> bool:
    """Same length, and the only difference is one vowel for another ("leeking" / "leaking")."""
    diff = [(a, b) for a, b in zip(word, choice) if a != b]
    return len(word) == len(choice) and len(diff) == 1 and diff[0][0] in _VOWELS and diff[0][1] in _VOWELS
