"""HTML parsed once by lxml (libxml2) into a flat list of events in document order: element start and end,
text strings, and the rest (comments, doctype, processing instructions).

`html.py` renders text from the list and finds where a quoted history starts by walking it without recursion,
so absurdly deep nesting costs no stack.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

# Event kinds. A start/end event is (kind, element); a string event is (kind, text, parent element).
START, END, TEXT, OTHER = 0, 1, 2, 3  # OTHER: comments, doctype, processing instructions, script/style…

# Strings inside these elements are code or annotations, never body text (nor a link's label).
_NON_TEXT_CONTAINERS = {"rt", "rp", "style", "script", "template"}
_KEEP_WHITESPACE = {"pre", "textarea"}
_ASCII_SPACES = "\x20\x0a\x09\x0c\x0d"
_SURROGATES = re.compile("[\ud800-\udfff]")


@lru_cache(maxsize=32)  # html_to_text and strip_html_quotes read the same body: parse it once
def parse_events(html: str) -> tuple:
    """The events of an HTML document; () when libxml2 refuses it altogether."""
    if html[:1] == "\ufeff":
        html = html[1:]
    # lxml is fed the str itself: a str with an <?xml … encoding=…?> declaration is fine on this path (only
    # lxml's fromstring() refuses it). If lxml refuses the str, it gets UTF-8 bytes declared as UTF-8.
    try:
        return _feed(html, None)
    except (UnicodeError, LookupError, etree.ParserError):
        pass
    try:
        return _feed(_SURROGATES.sub("\ufffd", html).encode("utf-8"), "utf-8")
    except (UnicodeError, LookupError, etree.ParserError):
        return ()  # libxml2 rejected it both ways: no text rather than a failed mail


def _feed(markup: str | bytes, encoding: str | None) -> tuple:
    parser = etree.HTMLParser(target=_EventBuilder(), recover=True, encoding=encoding)
    parser.feed(markup)
    return parser.close()


class Element:
    """One element of the document, as its start and end events carry it."""

    __slots__ = ("name", "lname", "attrs", "start")

    def __init__(self, name: str, attrs: dict, start: int) -> None:
        self.name = name
        self.lname = name.lower()
        self.attrs = attrs
        self.start = start  # index of its start event


class _EventBuilder:
    """lxml parser target collecting a flat event list.

    A target keeps every node however deep (lxml's own tree builder stops at depth 256 and drops the
    rest of the document). Strings follow the BeautifulSoup conventions these rules were tuned on, so the
    text stays the same: consecutive character data is one string, an all-whitespace string outside
    <pre>/<textarea> becomes one space or newline, strings inside script/style/template/rt/rp are not text,
    and an end tag closes every element opened after the matching start tag.
    """

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.open: list[Element] = [Element("[document]", {}, -1)]
        self.open_names: dict[str, int] = {}
        self.pending: list[str] = []
        self.keep_whitespace = 0  # open <pre>/<textarea>
        self.non_text = 0  # open script/style/template/rt/rp

    def _flush(self, kind: int = TEXT) -> None:
        if not self.pending:
            return
        text = "".join(self.pending)
        self.pending = []
        if not self.keep_whitespace and not text.strip(_ASCII_SPACES):
            text = "\n" if "\n" in text else " "
        if kind == TEXT and self.non_text:
            kind = OTHER
        self.events.append((kind, text, self.open[-1]))

    def start(self, tag: str, attrib) -> None:
        if self.pending:
            self._flush()
        if type(attrib) is not dict:  # lxml passes a read-only mapping for an element without attributes
            attrib = dict(attrib) if len(attrib) else {}
        element = Element(tag, attrib, len(self.events))
        self.events.append((START, element))
        self.open.append(element)
        self.open_names[tag] = self.open_names.get(tag, 0) + 1
        self.keep_whitespace += tag in _KEEP_WHITESPACE
        self.non_text += tag in _NON_TEXT_CONTAINERS

    def end(self, tag: str) -> None:
        if self.pending:
            self._flush()
        if not self.open_names.get(tag):  # a stray end tag closes nothing
            return
        while True:  # close everything up to the most recent element of that name
            element = self._pop()
            if element.name == tag:
                return

    def _pop(self) -> Element:
        element = self.open.pop()
        self.open_names[element.name] -= 1
        self.keep_whitespace -= element.name in _KEEP_WHITESPACE
        self.non_text -= element.name in _NON_TEXT_CONTAINERS
        self.events.append((END, element))
        return element

    def data(self, text: str) -> None:
        self.pending.append(text)

    def comment(self, text: str) -> None:
        self._other(text)

    def pi(self, target: str, data: str) -> None:
        self._other(f"{target} {data}")

    def doctype(self, name: str | None, public_id: str | None, system_id: str | None) -> None:
        text = name or ""
        if public_id is not None:
            text += f' PUBLIC "{public_id}"' + (f' "{system_id}"' if system_id is not None else "")
        elif system_id is not None:
            text += f' SYSTEM "{system_id}"'
        self._other(text)

    def _other(self, text: str) -> None:
        self._flush()
        self.pending.append(text)
        self._flush(OTHER)

    def close(self) -> tuple:
        self._flush()
        while len(self.open) > 1:
            self._pop()
        return tuple(self.events)
