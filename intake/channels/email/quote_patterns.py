"""Line patterns for `quotes`: attribution lines, header blocks, delimiters and mobile signatures.

Localized for the languages tenants write in (en, de, fr, es, it, pt, nl, sv, no, da, pl, ru, uk, cs, ja, zh…).
Kept apart from the cutting rules so a new client or language is one pattern here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_WROTE = (
    r"wrote|schrieb|a\s+écrit|escribió|escreveu|ha\s+scritto|schreef|skrev|skrivit|napisał\(a\)|napisał|"
    r"napisała|pisze|пише|написал\(а\)|написал|написала|написав|kirjoitti|írta|napsal|έγραψε|yazdı|"
    r"geschreven|写道|寫道|のメッセージ|書きました"
)
_ATTRIBUTION_START = (
    r"On|Am|Le|El|Em|Il|Op|Den|Dnia|W\s+dniu|På|Pe|Dne|Quoting|Zitat\s+von|"
    r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{4}年|在|\w+,\s+\d{1,2}|\d{1,2}\.?\s+\w+"
)
_VERB_THEN_DATE = r"(?:wrote|schrieb|a\s+écrit|escribió|skrev|schreef)\s+(?:on|am|le|el|den|op)\b"


class WordHint:
    """A cheap superset test in front of a costly pattern: whether the lowercased text holds one of `words`.
    Python's re tries every alternative of a pattern like `_ORIGINAL` at every position (and backtracks over
    long "_____" lines); plain substring tests in C skip the pattern for the many lines that cannot match.
    Each pattern's words must cover all its alternatives: tests/intake/channels/email/test_quote_hints.py checks
    that the labels are the same with and without the hints over every corpus text."""

    def __init__(self, *words: str) -> None:
        self.words = words

    def __call__(self, text: str) -> bool:
        lowered = text.lower()
        return any(word in lowered for word in self.words)


# Every verb of _WROTE (and of _VERB_THEN_DATE), lowercased; "yazdi": re's IGNORECASE matches "YAZDI" to "yazdı".
WROTE_HINT = WordHint(
    "wrote",
    "schrieb",
    "écrit",
    "escribió",
    "escreveu",
    "scritto",
    "schreef",
    "skrev",
    "skrivit",
    "napisał",
    "pisze",
    "пише",
    "написал",
    "написав",
    "kirjoitti",
    "írta",
    "napsal",
    "έγραψε",
    "yazdı",
    "yazdi",
    "geschreven",
    "写道",
    "寫道",
    "のメッセージ",
    "書きました",
)
_FORWARD_WORDS = (
    "forwarded",
    "weitergeleitete",
    "transféré",
    "reenviado",
    "doorgestuurd",
    "réexpédié",
    "inoltrato",
    "encaminhada",
    "vidarebefordrat",
    "videresendt",
    "przekazana",
    "переслан",
    "転送メッセージ",
)
FORWARD_HINT = WordHint(*_FORWARD_WORDS)
_ORIGINAL_HINT = WordHint(
    *_FORWARD_WORDS,
    "origin",
    "ursprüngliche",
    "oorspronkelijk",
    "opprinnelig",
    "oprindelig",
    "oryginalna",
    "исходное",
    "původní",
    "reply",
    "原始邮件",
    "原始郵件",
    "元のメッセージ",
)
_DIGIT = re.compile(r"\d")

# "On Mon, Feb 1, 2016 at 6:32 PM, Jeff <a@b.org>\nwrote:" — clients wrap the attribution; join it first.
ATTRIBUTION_JOIN = re.compile(
    rf"^[ \t>]*(?:(?:{_ATTRIBUTION_START})\b[^\n]{{0,200}}(?:\n[ \t>]*[^\n]{{0,200}}){{0,5}}?"
    rf"(?:{_WROTE})(?:[ \t][^\n]{{0,150}})?(?:\n[ \t>]*[^\n]{{0,80}})?[:：]"
    rf"|[^\n]{{0,150}}\b{_VERB_THEN_DATE}[^\n]{{0,100}}(?:\n[^\n]{{0,100}})?[:：]"
    rf"|\d{{4}}[-/]\d{{1,2}}[-/]\d{{1,2}}\s[^\n]{{0,150}}<\n[^\n]{{0,100}}>:)[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)


def needs_join(text: str) -> bool:
    """Cheap test before the expensive join: no verb and no wrapped Gmail date line ("… <" at a line's end),
    nothing to join."""
    return WROTE_HINT(text) or "<\n" in text or text.endswith("<")


_ATTRIBUTION = re.compile(
    rf"^[\s>*_-]*(?:(?:{_ATTRIBUTION_START})\b.{{0,300}}(?:{_WROTE})\s*[:：]?"
    rf"|(?:{_ATTRIBUTION_START})\b.{{0,300}}(?:{_WROTE})\s.{{0,120}}[:：]"
    rf"|.{{0,200}}\b(?:wrote|schrieb|a écrit|escribió|написал\(?а?\)?|пользователь\s.*написал|skrev|schreef)\s*[:：]"
    rf"|.{{0,150}}\b{_VERB_THEN_DATE}.{{0,100}}[:：]"
    # Gmail without a verb: "2016-03-03 17:21 GMT+01:00 Some One <a@b.org>:" / "2013/7/20 sam <a@b.org>"
    rf"|\d{{4}}[-/]\d{{1,2}}[-/]\d{{1,2}}\s+(?:\d{{1,2}}:\d{{2}}.*|.*<[^>\s]+@[^>\s]+>:?)"
    rf"|.{{0,100}}\d{{1,2}}:\d{{2}}.{{0,100}}<[^>\s]+@[^>\s]+>\s*[:：]"
    rf"|On\s+(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|\d).{{0,60}}\d{{1,2}}:\d{{2}}.{{0,80}})[\s*_-]*$",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    r"^[\s>*_]*(?:-{2,}|_{2,}|={2,})?\s*[*_]*(?:Original\s+Message|Ursprüngliche\s+Nachricht|Message\s+d'origine|"
    r"Mensaje\s+original|Messaggio\s+originale|Mensagem\s+original|Oorspronkelijk\s+bericht|Originalmeddelande|"
    r"Opprinnelig\s+melding|Oprindelig\s+meddelelse|Wiadomość\s+oryginalna|Исходное\s+сообщение|Původní\s+zpráva|"
    r"Forwarded\s+message|Weitergeleitete\s+Nachricht|Message\s+transféré|Mensaje\s+reenviado|Doorgestuurd\s+bericht|"
    r"Begin\s+forwarded\s+message|Anfang\s+der\s+weitergeleiteten\s+Nachricht|Début\s+du\s+message\s+réexpédié|"
    r"Inizio\s+messaggio\s+inoltrato|Переслан\w*\s+сообщение|Reply\s+message|原始邮件|原始郵件|転送メッセージ|元のメッセージ)"
    r"\s*:?\s*(?:-{2,}|_{2,}|={2,})?[*_]*\s*$",
    re.IGNORECASE,
)
# The forward markers among those: what follows is content the sender passes on, not history.
FORWARD_MARKER = re.compile(
    r"^[\s>*_]*(?:-{2,}|_{2,}|={2,})?\s*[*_]*(?:Forwarded\s+message|Weitergeleitete\s+Nachricht|"
    r"Message\s+transféré|Mensaje\s+reenviado|Doorgestuurd\s+bericht|Begin\s+forwarded\s+message|"
    r"Anfang\s+der\s+weitergeleiteten\s+Nachricht|Début\s+du\s+message\s+réexpédié|Inizio\s+messaggio\s+inoltrato|"
    r"Messaggio\s+inoltrato|Mensagem\s+encaminhada|Vidarebefordrat\s+meddelande|Videresendt\s+meddelelse|"
    r"Przekazana\s+wiadomość|Переслан\w*\s+сообщение|転送メッセージ)\s*:?\s*(?:-{2,}|_{2,}|={2,})?[*_]*\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_HEADER_NAMES = (
    r"From|Sent|To|Cc|Bcc|Subject|Date|Reply-To|Von|Gesendet|An|Betreff|Datum|Kopie|De|Envoyé|À|A|Objet|"
    r"Cc|Para|Enviado|Asunto|Assunto|Fecha|Data|Da|Inviato|Oggetto|Van|Verzonden|Aan|Onderwerp|Från|"
    r"Skickat|Till|Ämne|Kopia|Fra|Sendt|Til|Emne|Od|Wysłano|Do|Temat|DW|"
    r"От|Отправлено|Кому|Копия|Тема|Дата|"
    r"Відправлено|Від|Komu|Předmět|Odesláno|差出人|送信日時|宛先|件名|日付|发件人|发送时间|收件人|主题|抄送|寄件者|"
    r"傳送時間|收件者|主旨|日期|時間"
)
_HEADER = re.compile(rf"^[\s>]*[*_]{{0,2}}(?:{_HEADER_NAMES})[*_]{{0,2}}\s?[:：][*_]{{0,2}}(?:\s|$)", re.IGNORECASE)
_DELIMITER = re.compile(r"^\s*(?:-- ?|[-_=+~#*ᐧ—]{3,}|[ᐧ]|(?:[-_=~*—]+[ \t]+){2,}[-_=~*—]+)\s*$")
FROM_HEADER = re.compile(
    r"^[\s>]*[*_]{0,2}(?:From|Von|De|Van|Från|Fra|Od|Da|От|Від|差出人|发件人|寄件者)[*_]{0,2}\s?[:：]", re.I
)
_MOBILE = re.compile(
    r"^\s*[(<\[]*\s*(?:"
    r"sent (?:from|with|via|using|by) (?:my )?[^,;:<]{1,60}?(?:<[^>]*>)?(?:[,.]?\s+please excuse.*)?|"
    r"sent from \[\w+\]\(.*\).*|(?:get|download) \[?outlook for .*|"
    r"\S+ from mobile|from my i\w+.*|"
    r"envoyé (?:de|depuis) mon .*|von meinem .* gesendet\.?|gesendet von meinem .*|"
    r"diese nachricht wurde von meinem .* gesendet\.?|enviado (?:desde|de) mi .*|enviado do meu .*|"
    r"inviato da(?:l mio)? .*|verzonden (?:met|vanaf|van) (?:mijn )?.*|skickat från min .*|sendt fra min .*|"
    r"wysłane z (?:mojego )?.*|отправлено с (?:моего )?.*|從我的 .* 傳送|从我的.*发送|.*から送信"
    r")\s*[)>\]]*\s*$",
    re.IGNORECASE,
)
# Header names that carry the date of a quoted mail: with a From line they make a real header block.
_DATE_HEADER = re.compile(
    r"^[\s>]*[*_]{0,2}(?:Sent|Date|Gesendet|Datum|Envoyé|Enviado|Fecha|Data|Inviato|Verzonden|Skickat|Sendt|"
    r"Wysłano|Отправлено|Дата|Відправлено|Odesláno|送信日時|日付|发送时间|傳送時間|日期|時間)[*_]{0,2}\s?[:：]",
    re.I,
)
# What a client's attribution carries and a sentence of the tenant rarely does: an address, a time, a date.
_ATTRIBUTION_EVIDENCE = re.compile(r"@|\d{1,2}:\d{2}|\d{4}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|年")
_SIGNATURE_DASHES = re.compile(r"^--\s?$")  # RFC 3676 "-- ": a signature follows, whatever it looks like


def is_original_marker(line: str) -> bool:
    """ "-----Original Message-----", "Begin forwarded message:" and their translations."""
    return _ORIGINAL_HINT(line) and bool(_ORIGINAL.match(line))


def is_attribution(line: str) -> bool:
    """ "On Mon, … Jeff <a@b.org> wrote:" and the like: every alternative needs a verb or a digit."""
    return (WROTE_HINT(line) or bool(_DIGIT.search(line))) and bool(_ATTRIBUTION.match(line))


def is_bare_attribution(line: str) -> bool:
    """'My neighbour wrote:' — an attribution shape without the address, time or date clients put there;
    on its own it may be the tenant's sentence, so it only counts when quoted lines follow."""
    return not is_original_marker(line) and not _ATTRIBUTION_EVIDENCE.search(line)


def is_header_block(lines: list[str]) -> bool:
    """A quoted mail's header block names its sender and its date; a To/Subject block alone may be typed."""
    return any(FROM_HEADER.match(line) for line in lines) and any(_DATE_HEADER.match(line) for line in lines)


def is_signature_dashes(line: str) -> bool:
    return bool(_SIGNATURE_DASHES.match(line))


_NOT_SENTENCE_AFTER_SENT = re.compile(r"^\s*sent (?:from|with) (?:my )?\w+,(?!\s*please)", re.IGNORECASE)
_QUOTE = re.compile(r"^\s*(?:>|\||[A-Za-z]{1,3}>)")  # ">", "|" and supercite "AB>" quoting
_FENCE = re.compile(r"^\s*(```|~~~)")


def classify_lines(lines: list[str]) -> Iterator[str]:
    """One label per line: t e q b h d s (see `quotes`). Lines inside ``` code fences are always text."""
    in_code = False
    for line in lines:
        if _FENCE.match(line):
            in_code = not in_code
            yield "t"
            continue
        if in_code:
            yield "t"
        else:
            yield label_line(line)


def label_line(line: str) -> str:
    stripped = line.strip()
    if not stripped:
        return "e"
    if is_original_marker(line) or (len(stripped) < 400 and is_attribution(line)):
        return "b"
    if _DELIMITER.match(line):
        return "d"
    if len(stripped) < 120 and _MOBILE.match(line) and not _NOT_SENTENCE_AFTER_SENT.match(line):
        return "s"
    if _HEADER.match(line):
        return "h"
    if _QUOTE.match(line):
        return "q"
    return "t"
