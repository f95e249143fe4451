"""HTML mail → readable text, and HTML quote removal (blockquote, gmail_quote, Outlook's divRplyFwdMsg).

Used by `channel` for HTML-only mail and for the sanitized copy kept on the message (`sanitize_html`), and
by `quotes`: the HTML shows where the quoted history starts more reliably than the plain text does.

Both the text rendering and the quote cutter walk the flat event list of `html_events` without recursion, and
cutting the quote is "stop rendering at the marker" instead of editing a tree.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3

from intake.channels.email.html_events import END, START, TEXT, Element, parse_events

_DROP = {"script", "style", "head", "title", "meta", "link", "template", "noscript", "xml", "o:p"}
_BLOCK = set(
    "p div section article header footer table tr ul ol li h1 h2 h3 h4 h5 h6 pre blockquote address dl dt dd form"
    " fieldset center".split()
)
_PARAGRAPH_GAP = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table"}  # blocks followed by a blank line
_QUOTE_CLASSES = frozenset(
    "gmail_quote gmail_extra yahoo_quoted moz-cite-prefix divRplyFwdMsg OutlookMessageHeader mail_quote"
    " protonmail_quote zmail_extra".split()
)
_QUOTE_IDS = frozenset(
    "divRplyFwdMsg appendonsend mail-editor-reference-message-container OLK_SRC_BODY_SECTION isForwardContent"
    " reply-intro".split()
)
# Outlook's separator paragraph: <div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
_OUTLOOK_BORDER = re.compile(r"border-top:\s*solid\s+#?[0-9a-f]{3,6}\s+1(\.0)?pt", re.I)
_HEADER_LINE = re.compile(r"^\s*(From|Von|De|Van|Från|Od|Da|От)\s*:", re.I)  # a quoted header after an <hr>
_ATTRIBUTION_END = re.compile(
    r"(wrote|schrieb|écrit|escribió|написал|skrev|napisał|ha scritto|schreef|escreveu):?$", re.I
)
_SPACES = re.compile(r"[ \t\u00a0\u200b\u3000]+")
_SOURCE_SPACES = re.compile(r"[\r\n\t ]+")
_OUTER = ("body", "html", "[document]")  # an attribution directly in these is not a container worth cutting


def sanitize_html(html: str | None) -> str | None:
    """Tenant HTML safe to show: no scripts, styles, event handlers or javascript: links (nh3); inline
    images keep their cid: references so the UI can point them at the stored attachment."""
    if not html:
        return html
    schemes = {"http", "https", "mailto", "tel", "cid"}
    return nh3.clean(html, url_schemes=schemes, clean_content_tags={"script", "style", "title", "head"})


@lru_cache(maxsize=32)  # the parse stage reads a body's text, then the quote cutter reads it again
def html_to_text(html: str) -> str:
    """Readable plain text of an HTML body: blocks become lines, links keep their target, no markup."""
    if not html or not html.strip():
        return ""
    return _render(parse_events(html))


def strip_html_quotes(html: str) -> str | None:
    """The HTML with the quoted history cut away, as text; None when no HTML quote marker is found.

    Everything from the first quote container onwards is dropped (top-posting is the norm in HTML mail);
    an Outlook header block opened by a bordered div also counts as the start of the quote.
    """
    events = parse_events(html)
    marker = _first_quote_marker(events)
    if marker is None:
        return None
    return _render(events, stop=marker.start)


def soup_lines(text: str) -> list[str]:
    """The lines of `text` with runs of spaces collapsed, trimmed, and leading/trailing blank lines dropped."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _render(events: tuple, stop: int | None = None) -> str:
    """Readable text of the events before `stop` (all of them by default); elements still open there are
    closed as if the document ended."""
    out: list[str] = []
    frames: list[tuple] = []  # (element, buffer outside a blockquote, index into `strings` at an <a>)
    strings: list[str] = []  # every text string so far, for link labels
    skip = 0  # depth inside an element whose content is not rendered (dropped, br, hr, img)
    for event in events if stop is None else events[:stop]:
        kind = event[0]
        if kind == TEXT:
            strings.append(event[1])
            if not skip:
                out.append(_SOURCE_SPACES.sub(" ", event[1]))
        elif kind == START:
            if skip:
                skip += 1
                continue
            element = event[1]
            name = element.lname
            if name in _DROP:
                skip = 1
            elif name == "br":
                out.append("\n")
                skip = 1
            elif name == "hr":
                out.append("\n\n")
                skip = 1
            elif name == "img":
                alt = element.attrs.get("alt")
                if alt and alt.strip():
                    out.append(f"[{alt.strip()}]")
                skip = 1
            else:
                if name in _BLOCK:
                    out.append("\n")
                    if name == "li":
                        out.append("- ")
                frames.append((element, out, len(strings)))
                if name == "blockquote":
                    out = []
        elif kind == END:
            if skip:
                skip -= 1
                continue
            out = _close(frames.pop(), out, strings)
    while frames:
        out = _close(frames.pop(), out, strings)
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(out).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _close(frame: tuple, out: list[str], strings: list[str]) -> list[str]:
    """Append what follows an element's content; returns the buffer to continue in."""
    element, outer, first_string = frame
    name = element.lname
    if name in ("td", "th"):
        out.append(" ")
    elif name == "a":
        href = str(element.attrs.get("href") or "")
        label = " ".join(s.strip() for s in strings[first_string:] if s.strip())
        if href.startswith(("http://", "https://")) and label and href.rstrip("/") not in label:
            out.append(f" ({href})")
    elif name in _BLOCK:
        if name == "blockquote":
            quoted = soup_lines("".join(out))
            out = outer
            out.append("\n".join("> " + line if line else ">" for line in quoted))
        out.append("\n")
        if name in _PARAGRAPH_GAP:
            out.append("\n")
    return out


def _first_quote_marker(events: tuple) -> Element | None:
    """The element where the quoted history starts, in document order; None when there is none."""
    last_header = None  # index of the last string that looks like a quoted "From:" line; found at the first <hr>
    previous = None  # the last string with visible characters (comments and doctype count, as text before)
    ancestors: list[Element] = []
    for index, event in enumerate(events):
        kind = event[0]
        if kind >= TEXT:
            if event[1].strip():
                previous = event
            continue
        element = event[1]
        if kind == END:
            ancestors.pop()
            continue
        name, attrs = element.name, element.attrs
        classes = (attrs.get("class") or "").split()
        if name == "blockquote" and (attrs.get("type") == "cite" or "gmail_quote" in classes or previous is not None):
            return _with_attribution(element, previous, ancestors)
        if any(c in _QUOTE_CLASSES for c in classes) or (attrs.get("id") or "") in _QUOTE_IDS:
            return element
        if name == "div" and _OUTLOOK_BORDER.search(str(attrs.get("style") or "")):
            return element
        if name == "hr":
            if last_header is None:
                last_header = _last_header_line(events)
            if index < last_header:
                return element
        ancestors.append(element)
    return None


def _last_header_line(events: tuple) -> int:
    for index in range(len(events) - 1, -1, -1):
        if events[index][0] >= TEXT and _HEADER_LINE.search(events[index][1]):
            return index
    return -1


def _with_attribution(blockquote: Element, previous: tuple | None, ancestors: list[Element]) -> Element:
    """A blockquote's "On … wrote:" line sits just before it; cut from the element holding that line."""
    if previous is not None and _is_attribution(previous[1].strip()):
        parent = previous[2]
        if parent.name not in _OUTER and all(parent is not a for a in ancestors):
            return parent
    return blockquote


def _is_attribution(text: str) -> bool:
    if _ATTRIBUTION_END.search(text):
        return True
    return text.endswith((":", "：")) and "@" in text and bool(re.search(r"\d", text))
