"""The new text of a reply: quoted history, forwarded/original-message blocks and signatures removed.

Runs in the parse stage (`channel`) so that classifiers read what the tenant wrote now, while `full_text`
keeps every word. Each line is labelled (text, quote, attribution, header, delimiter, mobile signature,
empty) and the labels are cut by a few layout rules: top-posting, bottom-posting, header blocks of Outlook
and localized clients; HTML mail is cut at its quote containers first (`html.strip_html_quotes`).
email-reply-parser was the starting point but is not called: on the reply-trimmer corpus it gets 28 of 64,
these rules 63, and its "Sent from my" check eats sentences. The result is never empty when
the sender wrote anything: the full text is the fallback.
"""

from __future__ import annotations

import re

from intake.channels.email.html import html_to_text, strip_html_quotes
from intake.channels.email.quote_patterns import (
    ATTRIBUTION_JOIN,
    FORWARD_HINT,
    FORWARD_MARKER,
    FROM_HEADER,
    classify_lines,
    is_bare_attribution,
    is_header_block,
    is_signature_dashes,
    needs_join,
)

# Line labels: t text, e empty, q quote, b attribution / original-message marker, h header line,
# d delimiter (signature or separator), s mobile signature.
_MAX_TEXT_AFTER_QUOTE = 6  # more own text than this below a quote means an interleaved reply: keep it
_SHORT_TRAILER = 2  # one or two lines of words below a "-----" line: a signature ("And here's my signature.")
_SIGNATURE_LINES = 6  # more lines are a signature only when none reads as a sentence (name, role, phone)
_SENTENCE_END = re.compile(r"\w[.!?]$")  # …but a line ending a sentence is more likely the tenant writing


def extract_new_text(
    text: str, html: str | None = None, *, keep_signature: bool = False, keep_forwarded: bool = False
) -> str:
    """The new text of a reply (quotes and signature removed); the full text when nothing else is left.

    `keep_forwarded`: an inline-forwarded mail ("---------- Forwarded message ---------") is kept below the
    sender's own words — for intake a forwarded neighbour's report is the request, not history.
    """
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip() and html:
        text = html_to_text(html)
    if keep_forwarded:
        marker = FORWARD_MARKER.search(text) if FORWARD_HINT(text) else None
        before = text[: marker.start()] if marker else ""
        # only a forward written by this sender: not one buried in the quoted history of a reply
        if before.strip() and not any(label in "bq" for label in classify_lines(before.split("\n"))):
            own = extract_new_text(text[: marker.start()], None, keep_signature=keep_signature)
            return f"{own}\n\n{text[marker.start() :].strip()}"
    if html:  # an explicit quote container (blockquote, gmail_quote, divRplyFwdMsg…) beats text heuristics
        trimmed_html = strip_html_quotes(html)
        if trimmed_html and trimmed_html.strip():
            result = trim_reply(trimmed_html, keep_signature=keep_signature)
            return result if result.strip() else trimmed_html.strip()
    result = trim_reply(text, keep_signature=keep_signature)
    return result if result.strip() else text.strip()


def trim_reply(text: str, *, keep_signature: bool = False) -> str:
    """Plain-text trimming; may return "" (callers that must not lose words fall back to the full text)."""
    if not text.strip():
        return ""
    if needs_join(text):
        text = ATTRIBUTION_JOIN.sub(lambda m: re.sub(r"\s*\n[\s>]*", " ", m.group(0)), text)
    lines = text.split("\n")
    labels = list(classify_lines(lines))
    rows = _confirm_attributions(list(zip(labels, lines)))

    if not keep_signature:
        rows = _cut_at_delimiter(rows)
        rows = [row for row in rows if row[0] != "s"]
    rows = _bottom_posted(rows)
    rows = _cut_at_attribution(rows)
    rows = _drop_trailing_quote(rows)
    rows = [row for row in rows if row[0] != "b"]
    rows = _cut_at_header_block(rows)
    rows = _drop_trailing_quote(rows)
    result = "\n".join(line for _, line in rows).strip("\n")
    return result.strip()


def _pattern(rows: list[tuple[str, str]]) -> str:
    return "".join(label for label, _ in rows)


def _confirm_attributions(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A bare 'X wrote:' (no address, time or date) is an attribution only when quoted lines follow it."""
    confirmed = list(rows)
    for index, (label, line) in enumerate(rows):
        if label == "b" and is_bare_attribution(line):
            following = _pattern(rows[index + 1 :]).lstrip("e")
            if not following.startswith("q"):
                confirmed[index] = ("t", line)
    return confirmed


def _cut_at_delimiter(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Everything below the first signature/separator line goes, if something was written above it and
    what follows is a signature or history: after "-- " always; after "-----" only when quotes, an
    attribution or headers follow, or a few short lines that read like a signature, not like sentences."""
    pattern = _pattern(rows)
    index = pattern.find("d")
    while index >= 0:
        if re.search(r"[tq]", pattern[:index]) and _is_cut_below(rows, index):
            return rows[:index]
        index = pattern.find("d", index + 1)
    return [row for row in rows if row[0] != "d"]


def _is_cut_below(rows: list[tuple[str, str]], index: int) -> bool:
    if is_signature_dashes(rows[index][1]):
        return True
    below = rows[index + 1 :]
    if re.search(r"[qbs]", _pattern(below)) or is_header_block([line for label, line in below if label == "h"]):
        return True
    lines = [line.strip() for label, line in below if label == "t" and re.search(r"\w", line)]
    if len(lines) <= _SHORT_TRAILER:
        return True
    return len(lines) <= _SIGNATURE_LINES and not any(_SENTENCE_END.search(line) for line in lines)


def _bottom_posted(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """An attribution and its quote on top, the answer below: keep the answer."""
    match = re.fullmatch(r"([eh]*b[bqeh]*)(t[te]*)", _pattern(rows))
    if match and "q" in match.group(1):
        return rows[match.start(2) :]
    return rows


def _cut_at_attribution(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Top-posting: cut at the first 'On … wrote:' / '-----Original Message-----' that follows own text,
    unless a long own answer follows the quote (an interleaved reply keeps its text)."""
    pattern = _pattern(rows)
    match = re.search(r"t[e]*b", pattern)
    if not match:
        return rows
    at = match.end() - 1
    rest = pattern[at + 1 :]
    own_after = re.fullmatch(r"[qbeh]*q[qbeh]*([te]*)", rest)
    if "q" not in rest or (own_after and own_after.group(1).count("t") <= _MAX_TEXT_AFTER_QUOTE):
        return rows[:at]
    return rows


def _drop_trailing_quote(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A quote that ends the mail below own text is history."""
    pattern = _pattern(rows)
    match = re.search(r"[ts][es]*([qbes]*q[qbes]*)$", pattern)
    if match:
        return rows[: match.start(1)]
    return rows


def _cut_at_header_block(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Outlook-style 'From:/Sent:/To:/Subject:' blocks: cut below own text, else drop the block itself."""
    pattern = list(_pattern(rows))
    # A header value wrapped onto the next line belongs to the block.
    for match in re.finditer(r"h+[te]{1,2}(?=h)", "".join(pattern)):
        for i in range(match.start(), match.end()):
            pattern[i] = "h"
    joined = "".join(pattern)
    blocks = [m for m in re.finditer(r"h{3,}", joined) if is_header_block(_lines(rows, m.start(), m.end()))]
    for block in blocks:  # only a block naming sender and date is a quoted mail; a typed To/Subject stays
        if re.search(r"t[eq]*$", joined[: block.start()]):
            return rows[: block.start()]
    # Lotus Notes / mobile clients: "Von: Name <a@b>" with one more header line close below it
    for index, (label, line) in enumerate(rows):
        if (
            label == "h"
            and "t" in joined[:index]
            and "@" in line
            and FROM_HEADER.match(line)
            and "h" in joined[index + 1 : index + 6]
            and is_header_block(_lines(rows, index, index + 6))
        ):
            return rows[:index]
    for block in reversed(blocks):
        del rows[block.start() : block.end()]
    return rows


def _lines(rows: list[tuple[str, str]], start: int, end: int) -> list[str]:
    return [line for label, line in rows[start:end] if label == "h"]
