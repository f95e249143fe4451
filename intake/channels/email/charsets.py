"""Text from bytes whose charset may be missing or wrong (`decode_bytes`), and which charset undeclared 8-bit
text is in (`guess_encoding`: charset-normalizer's guess, with legacy CJK told apart).

Charset aliases that Python lacks (ks_c_5601-1987, unicode-1-1-utf-7…) are mapped here. The guess is taken
when the bytes are not UTF-8 and no declared charset reads them. On short texts charset-normalizer finds
several CJK encodings equally clean (GB2312 bytes read as Korean, EUC-JP as Chinese): among those, the
reading that looks like one script wins (kana means Japanese; Hangul mixed with Han characters, half-width
katakana and jamo are what a wrong reading produces).
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "unicode-1-1-utf-7": "utf-7",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "iso-2022-jp": "iso2022_jp_ext",
    "x-sjis": "shift_jis",
    "windows-874": "cp874",
    "iso-8859-8-i": "iso-8859-8",
    "x-mac-roman": "mac_roman",
    "ansi_x3.4-1968": "ascii",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
}

_WIDE = ["utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le"]
# The legacy CJK mail charsets, in the order a tie is settled.
_CJK = ("gb18030", "big5", "cp932", "shift_jis", "euc_jp", "euc_jis_2004", "cp949", "euc_kr")
CJK_ENCODINGS = frozenset(_CJK)
_JAPANESE = {"cp932", "shift_jis", "euc_jp", "euc_jis_2004"}


def guess_encoding(data: bytes) -> str | None:
    """The encoding undeclared 8-bit `data` most likely is in, or None when nothing reads it."""
    sample = data[:65536]
    # UTF-16/32 without a BOM only ever fits by accident: mail text in them would be full of NULs.
    matches = list(from_bytes(sample, cp_exclusion=None if b"\x00" in sample else _WIDE))
    if not matches:
        return None
    best = matches[0]
    if best.encoding not in _CJK:
        return best.encoding
    calm = [m for m in matches if m.encoding in _CJK and m.chaos <= best.chaos + 0.05]
    return max(calm, key=lambda m: (_script_score(str(m)[:4000], m.encoding), -_CJK.index(m.encoding))).encoding


def _script_score(text: str, encoding: str) -> int:
    """How much `text` looks like one CJK script read right (higher is better)."""
    han = kana = hangul = odd = 0
    for ch in text:
        code = ord(ch)
        if code < 0x80:
            continue
        if 0x4E00 <= code <= 0x9FFF:
            han += 1
        elif 0x3040 <= code <= 0x30FF:
            kana += 1
        elif 0xAC00 <= code <= 0xD7A3:
            hangul += 1
        elif 0xFF61 <= code <= 0xFF9F or 0x3130 <= code <= 0x318F or 0xE000 <= code <= 0xF8FF or code == 0xFFFD:
            odd += 1  # half-width katakana, compatibility jamo, private use: a wrong reading's tell
    score = han + hangul - 2 * odd
    if kana:
        score += 2 * kana if encoding in _JAPANESE else 0
    if hangul and han:  # Korean mail is Hangul; Han characters among it mean Chinese bytes read as Korean
        score -= 2 * min(hangul, han)
    return score


def codec_for(charset: str | None) -> str | None:
    """A Python codec name for a declared charset, or None when it is unknown."""
    if not charset:
        return None
    name = charset.strip().strip('"').lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):  # unknown, or garbage such as an embedded NUL
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text from bytes whose charset may be missing or wrong.

    Valid UTF-8 with 8-bit bytes is taken as UTF-8 whatever the label says (mislabelled UTF-8 is the common
    fault); then the declared charset; then charset-normalizer's guess; then cp1252 with replacements.
    """
    if not data:
        return ""
    codec = codec_for(declared)
    if max(data) < 0x80:  # 7-bit: only stateful encodings (ISO-2022-*, UTF-7) change anything
        if codec and codec.startswith(("iso2022", "utf_7", "utf-7", "hz")):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                pass
        return data.decode("ascii")
    for candidate in ("utf-8", codec):
        if candidate:
            try:
                return data.decode(candidate)
            except (UnicodeDecodeError, LookupError):
                pass
    # Undeclared legacy CJK often holds byte pairs that are valid UTF-8 too (GB2312 "水" is U+02EE in UTF-8):
    # a clean CJK reading is taken before the mostly-UTF-8 repair could turn it into Latin mojibake.
    guess = guess_encoding(data) if codec is None else None
    if guess in CJK_ENCODINGS:
        try:
            return data.decode(guess)
        except UnicodeDecodeError:
            pass
    mixed = _decode_mixed(data, codec)
    if mixed is not None:
        return mixed
    guess = guess or guess_encoding(data)
    if guess:
        return data.decode(guess, errors="replace")
    return data.decode(codec or "cp1252", errors="replace")


_ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")  # bytes that were not UTF-8, as surrogateescape keeps them
_NON_ASCII = re.compile("[^\x00-\x7f]+")


def _decode_mixed(data: bytes, codec: str | None) -> str | None:
    """Mostly UTF-8 with a few runs in another charset (pasted or re-quoted text): decode the runs apart."""
    text = data.decode("utf-8", errors="surrogateescape")
    bad = len(text) - len(_ESCAPED_BYTES.sub("", text))  # counted by re in C: bodies run to megabytes
    good = len(text) - len(_NON_ASCII.sub("", text)) - bad
    if good == 0 or bad > good * 2:
        return None

    def redecode(match: re.Match) -> str:
        return match.group(0).encode("utf-8", "surrogateescape").decode(codec or "cp1252", errors="replace")

    return _ESCAPED_BYTES.sub(redecode, text)
