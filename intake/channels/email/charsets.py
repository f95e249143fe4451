"""Which charset undeclared 8-bit text is in: charset-normalizer's guess, with legacy CJK told apart.

Used by `headers.decode_bytes` when the bytes are not UTF-8 and no declared charset reads them. On short
texts charset-normalizer finds several CJK encodings equally clean (GB2312 bytes read as Korean, EUC-JP as
Chinese): among those, the reading that looks like one script wins (kana means Japanese; Hangul mixed
with Han characters, half-width katakana and jamo are what a wrong reading produces).
"""

from __future__ import annotations

from charset_normalizer import from_bytes

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
