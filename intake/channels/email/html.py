"""HTML mail → readable text, and HTML quote removal (blockquote, gmail_quote, Outlook's divRplyFwdMsg).

Used by `channel` for HTML-only mail and for the sanitized copy kept on the message (`sanitize_html`), and
by `quotes`: the HTML shows where the quoted history starts more reliably than the plain text does.
"""

from __future__ import annotations

import re
from functools import lru_cache

import warnings

import nh3
from bs4 import BeautifulSoup, Comment, NavigableString, Tag, XMLParsedAsHTMLWarning

_DROP = {"script", "style", "head", "title", "meta", "link", "template", "noscript", "xml", "o:p"}
_BLOCK = {"p", "div", "section", "article", "header", "footer", "table", "tr", "ul", "ol", "li", "h1", "h2",
          "h3", "h4", "h5", "h6", "pre", "blockquote", "address", "dl", "dt", "dd", "form", "fieldset", "center"}
_QUOTE_CLASSES = ("gmail_quote", "gmail_extra", "yahoo_quoted", "moz-cite-prefix", "divRplyFwdMsg",
                  "OutlookMessageHeader", "mail_quote", "protonmail_quote", "zmail_extra")
_QUOTE_IDS = ("divRplyFwdMsg", "appendonsend", "mail-editor-reference-message-container", "OLK_SRC_BODY_SECTION",
              "isForwardContent", "reply-intro")
# Outlook's separator paragraph: <div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
_OUTLOOK_BORDER = re.compile(r"border-top:\s*solid\s+#?[0-9a-f]{3,6}\s+1(\.0)?pt", re.I)
_SPACES = re.compile(r"[ \t\u00a0\u200b\u3000]+")


def sanitize_html(html: str | None) -> str | None:
    """Tenant HTML safe to show: no scripts, styles, event handlers or javascript: links (nh3); inline
    images keep their cid: references so the UI can point them at the stored attachment."""
    if not html:
        return html
    schemes = {"http", "https", "mailto", "tel", "cid"}
    return nh3.clean(html, url_schemes=schemes, clean_content_tags={"script", "style", "title", "head"})


def parse_html(html: str) -> BeautifulSoup:
    # lxml's parser (libxml2) is several times faster than the pure-Python html.parser on mail HTML
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)  # XHTML mail bodies start with <?xml …?>
        return BeautifulSoup(html, "lxml")


@lru_cache(maxsize=32)  # the parse stage reads a body's text, then the quote cutter reads it again
def html_to_text(html: str) -> str:
    """Readable plain text of an HTML body: blocks become lines, links keep their target, no markup."""
    if not html or not html.strip():
        return ""
    return soup_to_text(parse_html(html))


def soup_to_text(soup: BeautifulSoup | Tag) -> str:
    out: list[str] = []
    try:
        _walk(soup, out)
        text = "".join(out)
    except RecursionError:  # absurdly deep nesting (a known DoS mail): flat text, one line per string
        text = "\n".join(s.strip() for s in soup.find_all(string=True) if type(s) is NavigableString)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _walk(node: Tag, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            if type(child) is not NavigableString:  # CData, Doctype, ProcessingInstruction…
                continue
            out.append(re.sub(r"[\r\n\t ]+", " ", str(child)))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name.lower()
        if name in _DROP:
            continue
        if name == "br":
            out.append("\n")
        elif name == "hr":
            out.append("\n\n")
        elif name == "img":
            alt = child.get("alt")
            if alt and alt.strip():
                out.append(f"[{alt.strip()}]")
        elif name in ("td", "th"):
            _walk(child, out)
            out.append(" ")
        elif name == "a":
            _walk(child, out)
            href = str(child.get("href") or "")
            label = child.get_text(" ", strip=True)
            if href.startswith(("http://", "https://")) and label and href.rstrip("/") not in label:
                out.append(f" ({href})")
        elif name in _BLOCK:
            out.append("\n")
            if name == "li":
                out.append("- ")
            if name == "blockquote":
                inner: list[str] = []
                _walk(child, inner)
                quoted = soup_lines("".join(inner))
                out.append("\n".join("> " + line if line else ">" for line in quoted))
            else:
                _walk(child, out)
            out.append("\n")
            if name in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "table"):
                out.append("\n")
        else:
            _walk(child, out)


def soup_lines(text: str) -> list[str]:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def strip_html_quotes(html: str) -> str | None:
    """The HTML with the quoted history cut away, as text; None when no HTML quote marker is found.

    Everything from the first quote container onwards is dropped (top-posting is the norm in HTML mail);
    an Outlook header block opened by a bordered div also counts as the start of the quote.
    """
    soup = parse_html(html)
    marker = _first_quote_marker(soup)
    if marker is None:
        return None
    _cut_from(marker)
    return soup_to_text(soup)


def _first_quote_marker(soup: BeautifulSoup) -> Tag | None:
    for tag in soup.find_all(True):
        if not isinstance(tag, Tag):
            continue
        if tag.name == "blockquote" and (tag.get("type") == "cite" or _has_class(tag, ("gmail_quote",))
                                         or tag.find_previous(string=re.compile(r"\S")) is not None):
            return _with_attribution(tag)
        if _has_class(tag, _QUOTE_CLASSES) or (tag.get("id") or "") in _QUOTE_IDS:
            return tag
        if tag.name == "div" and _OUTLOOK_BORDER.search(str(tag.get("style") or "")):
            return tag
        if tag.name == "hr" and tag.find_next(string=re.compile(r"^\s*(From|Von|De|Van|Från|Od|Da|От)\s*:", re.I)):
            return tag
    return None


def _with_attribution(blockquote: Tag) -> Tag:
    """A blockquote's "On … wrote:" line sits just before it; cut from there."""
    prev = blockquote.find_previous(string=re.compile(r"\S"))
    if prev is not None and _is_attribution(prev.strip()):
        parent = prev.parent
        outer = parent.name in ("body", "html", "[document]") if isinstance(parent, Tag) else True
        if not outer and blockquote not in parent.descendants:
            return parent
    return blockquote


def _is_attribution(text: str) -> bool:
    if re.search(r"(wrote|schrieb|écrit|escribió|написал|skrev|napisał|ha scritto|schreef|escreveu):?$", text, re.I):
        return True
    return text.endswith((":", "：")) and "@" in text and bool(re.search(r"\d", text))


def _has_class(tag: Tag, names: tuple[str, ...]) -> bool:
    classes = tag.get("class") or []
    return any(c in names for c in classes)


def _cut_from(marker: Tag) -> None:
    """Remove the marker and everything after it in document order."""
    ancestors = set(map(id, marker.parents))
    for node in list(marker.next_elements):
        if id(node) not in ancestors:
            node.extract()
    marker.extract()
