"""spaCy's tokenizer cache must keep working inside the classifier: words after a special case ("i'm", "don't")
are tokenized once on their own so later messages find them cached, and the tokens stay exactly spaCy's."""

from __future__ import annotations

import pytest
import spacy

from classifiers.lexicon import Lexicon


class CountingTokenizer:
    """The real tokenizer, counting the texts it is given."""

    def __init__(self, tokenizer):
        self.tokenizer, self.texts = tokenizer, []

    def __call__(self, text):
        self.texts.append(text)
        return self.tokenizer(text)

    def __getattr__(self, name):
        return getattr(self.tokenizer, name)


@pytest.fixture()
def lexicon():
    found = Lexicon({"c:sink": ["sink"], "s:failure": ["leak*"]})
    found.tokenizer = CountingTokenizer(found.tokenizer)
    return found


def test_each_new_chunk_is_tokenized_once_on_its_own_then_only_whole_texts(lexicon):
    lexicon.doc("i'm home, the sink leaks.")
    assert lexicon.tokenizer.texts == ["i'm", "home,", "the", "sink", "leaks.", "i'm home, the sink leaks."]
    lexicon.tokenizer.texts.clear()
    lexicon.doc("the sink leaks. i'm home,")
    assert lexicon.tokenizer.texts == ["the sink leaks. i'm home,"]


def test_warming_stops_once_spacys_cache_is_full(lexicon):
    lexicon.tokenizer.max_cache_size = 2
    lexicon.doc("one two three")
    lexicon.tokenizer.texts.clear()
    lexicon.doc("four five")
    assert lexicon.tokenizer.texts == ["four five"]


@pytest.mark.parametrize(
    "text",
    [
        "i'm out, don't know why the sink's leaking!!",
        "we can't (won't) wait... it's 2am",
        "ain't  fixed\nthe sink isn't draining :) y'all",
    ],
)
def test_tokens_are_exactly_spacys_before_and_after_warming(lexicon, text):
    expected = [(t.text, t.whitespace_) for t in spacy.blank("en").tokenizer(text)]
    for _ in range(2):
        doc, orths = lexicon.doc(text)
        assert [(t.text, t.whitespace_) for t in doc] == expected
        assert orths == [t.orth for t in doc]
