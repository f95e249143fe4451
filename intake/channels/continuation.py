"""What a message says about the ticket it may continue: cues in its words, and words it shares with the ticket.

The follow-up policy (followup.py) weighs these against the classifier's topics. Every cue is a phrase a
dispatcher can read back ("says 'still'", "says 'not about the'", "words in common: stair, light"), in the six
languages the classifier reads; texts are compared lower-cased and without accents (`classifiers.lexicon.normalize`).

- continues: a cue that the message goes on with a known matter ("still", "again", "any update", "the plumber",
  "same problem", "sigue", "de novo", "immer noch", "di nuovo", "toujours"…);
- not this: the message says outright that it is about something else ("not about the toilet", "different
  thing", "separate from", "sorry to reply here", "nada que ver"…) — a continuation word elsewhere in it
  ("that's still on your list") does not undo that;
- another: it announces another problem ("another problem", "otro problema") — undone by a continuation word in
  the same sentence ("another problem, the sink is leaking again" is the old problem);
- fix held: it says the earlier repair worked ("has been fine since", "is quiet now", "funziona bene");
- words in common: content words (three letters or more, no stop words, rooms, names or greetings) that the
  message shares with the ticket's conversation, endings folded ("leaking" ~ "leaks").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from classifiers.lexicon import normalize, stop_words

_TRADES = (
    r"plumber|technician|engineer|electrician|locksmith|contractor|surveyor|repairman|handyman|guy|man"
    r"|exterminator|pest control|fontanero|plomero|cerrajero|electricista|tecnico|operario|encanador"
    r"|eletricista|serralheiro|technicien|plombier|electricien|serrurier|artisan|techniker|handwerker"
    r"|klempner|elektriker|monteur|idraulico|elettricista|fabbro|operaio"
)
_CONTINUES = re.compile(
    r"\b(?:"
    + "|".join(
        [
            r"still",
            r"again",
            r"any (?:news|update|progress)",
            r"(?:an |just an |quick )?update",
            r"just checking",
            r"following (?:up|my)",
            r"follow(?:ing)?[- ]up",
            r"as (?:requested|reported|promised|discussed)",
            r"i (?:mentioned|reported|wrote|sent|told)",
            r"my (?:last|earlier|previous) (?:message|email|mail)",
            r"same (?:problem|issue|thing|fault|as before)",
            r"came back",
            r"coming back",
            r"not (?:yet )?fixed",
            r"(?:you )?can close (?:this|it|the ticket)",
            rf"(?:the|your) (?:{_TRADES})",
            r"anyone looking",
            r"sigue|siguen|sigo|todavia|otra vez|de nuevo|mismo problema|lo mismo|novedades|continua",  # es/pt/it
            r"ainda|de novo|outra vez|mesmo problema|novidades",  # pt
            r"toujours|encore|de nouveau|a nouveau|meme probleme|des nouvelles",  # fr
            r"immer noch|noch immer|schon wieder|wieder|gleiche(?:s|n)? problem|neuigkeiten|noch nicht",  # de
            r"ancora|di nuovo|stesso problema|novita",  # it
            rf"(?:el|la|o|le|der|die|il|l) (?:{_TRADES})",
        ]
    )
    + r")\b"
)
_NOT_THIS = re.compile(
    r"\b(?:"
    + "|".join(
        [
            r"not about the",
            r"nothing to do with",
            r"(?:a |something )?different (?:thing|one|matter|issue|problem)",
            r"separate (?:from|thing|issue|problem|matter)",
            r"unrelated",
            r"sorry to (?:reply|write|answer) (?:here|on this)",
            r"no es (?:por|sobre|del?) ",
            r"nada que ver",
            r"otra cosa distinta",
            r"cosa distinta",
            r"nao e sobre",
            r"nada a ver",
            r"rien a voir",
            r"ce n est pas pour",
            r"nichts mit",
            r"nicht wegen",
            r"etwas anderes",
            r"andere sache",
            r"anderes thema",
            r"non riguarda",
            r"niente a che fare",
            r"un altra cosa",
            r"altra cosa",
        ]
    )
    + r")"
)
_ANOTHER = re.compile(
    r"\b(?:"
    + "|".join(
        [
            r"(?:another|a new|one more|a second|a further)(?: \w+)? (?:problem|issue|thing|matter|fault|request)",
            r"otro problema|otro asunto|nuevo problema|otra cosa|outro problema|novo problema|outro assunto|outra coisa",
            r"autre probleme|nouveau probleme|autre chose|noch ein(?:en)? problem|ein anderes problem|neues problem",
            r"weiteres problem|altro problema|nuovo problema",
        ]
    )
    + r")\b"
)
_FIX_HELD = re.compile(
    r"\b(?:"
    + "|".join(
        [
            r"(?:is|are|has been|have been|s been|was) (?:\w+ )?(?:fine|ok|okay|grand|good|great|quiet|dry|perfect)"
            r" (?:now|since|again)",
            r"thanks? (?:you )?(?:again )?for fixing",
            r"the fix (?:has )?held",
            r"ya funciona|funciona bien",
            r"ja funciona|funciona bem",
            r"fonctionne bien|marche bien",
            r"funktioniert (?:jetzt |wieder )+",
            r"funziona bene|e a posto",
        ]
    )
    + r")\b"
)
_ROOMS = {
    room: re.compile(r"\b(?:" + words + r")\b")
    for room, words in {
        "kitchen": r"kitchen|cocina|cozinha|cuisine|kuche|cucina",
        "bathroom": r"bathroom|shower room|bano|banheiro|salle de bain|salle d eau|badezimmer|bagno",
        "bedroom": r"bedroom|dormitorio|habitacion|quarto|chambre|schlafzimmer|camera da letto",
        "living room": r"living room|lounge|sitting room|salon|sala de estar|wohnzimmer|soggiorno|salotto",
        "hallway": r"hallway|corridor|pasillo|corredor|couloir|flur|corridoio",
        "balcony": r"balcony|balcon|varanda|balkon|balcone",
    }.items()
}
_SENTENCE = re.compile(r"(?<=[.!?;:\n])\s+")
_WORD = re.compile(r"[a-z]{3,}")
_SIGN_OFF = re.compile(
    r"\s*(?:-- ?$|thanks|thank you|many thanks|regards|kind regards|best|cheers|sent from|br\b|gracias"
    r"|saludos|obrigad|cumprimentos|merci|cordialement|danke|gruss|grusse|mfg\b|grazie|saluti)"
)
_ENDINGS = ("ings", "ing", "ers", "ed", "es", "er", "s")
_NOT_A_TOPIC = frozenset(
    """
    hello thanks thank please regards kind best morning evening night today yesterday tomorrow week weeks days
    month flat apartment unit home house building floor room kitchen bathroom bedroom living hallway hall toilet
    cocina bano habitacion salon cozinha banheiro quarto sala cuisine salle chambre kuche schlafzimmer wohnzimmer
    cucina bagno camera soggiorno problem issue thing working work broken since again still just know sorry
    hola gracias buenos buenas obrigado obrigada bonjour merci hallo danke buongiorno grazie ciao also every
    hi hey yes day got put let lot bit way new old end top via far time times need needs want like come coming
    going make look help soon asap later tell said call email mail message sent send write wrote reply asked ask
    check sure able keep keeps start starts started stop stopped fix fixed repair minutes hours year last first
    next weekend monday tuesday wednesday thursday friday saturday sunday
""".split()
)


@dataclass
class Signs:
    """What the message says about the ticket; `continues` is true when any sign points to the same matter."""

    continuation_cue: str | None = None
    not_this_cue: str | None = None
    another_cue: str | None = None
    fix_held_cue: str | None = None
    shared: list[str] = field(default_factory=list)
    rooms: tuple[set[str], set[str]] | None = None  # (the message's, the ticket's) when they have none in common

    @property
    def tied_by_words(self) -> bool:
        """Words in common, and not about another room ("kitchen tap" is not the "bathroom tap")."""
        return bool(self.shared) and self.rooms is None

    @property
    def continues(self) -> bool:
        return bool(self.continuation_cue) or self.tied_by_words

    @property
    def other_matter(self) -> str | None:
        """The phrase that says the message is about another matter, or None."""
        return self.not_this_cue or self.another_cue

    def explain(self) -> str:
        """The continuation evidence in a dispatcher's words."""
        parts = [f"says {self.continuation_cue!r}"] if self.continuation_cue else []
        if self.shared:
            parts.append("words in common: " + ", ".join(self.shared[:5]))
        if self.shared and self.rooms:
            parts[-1] += f" but {'/'.join(sorted(self.rooms[0]))}, not {'/'.join(sorted(self.rooms[1]))}"
        return "; ".join(parts) or "no continuation cue, no words in common"


def read_signs(text: str, conversation: str, names: tuple[str, ...] = ()) -> Signs:
    """The signs in `text` (subject and body of the new message) about `conversation` (the ticket's own text);
    `names` are words of the sender's name and address, never a shared topic."""
    folded = normalize(text or "")
    signs = Signs(shared=words_in_common(text, conversation, names))
    ours, theirs = rooms_named(text), rooms_named(conversation)
    if ours and theirs and not ours & theirs:
        signs.rooms = (ours, theirs)
    if match := _NOT_THIS.search(folded):
        signs.not_this_cue = match.group(0).strip()
    for sentence in _SENTENCE.split(folded):
        if (match := _ANOTHER.search(sentence)) and not _CONTINUES.search(sentence):
            signs.another_cue = signs.another_cue or match.group(0)
    if match := _FIX_HELD.search(folded):
        signs.fix_held_cue = match.group(0)
    if match := _CONTINUES.search(folded):
        signs.continuation_cue = match.group(0)
    return signs


def says_continues(text: str) -> str | None:
    """The continuation cue in `text` ("still", "de novo", "the plumber"…), or None."""
    match = _CONTINUES.search(normalize(text or ""))
    return match.group(0) if match else None


def rooms_named(text: str) -> set[str]:
    """The rooms a text names (kitchen, bathroom, bedroom, living room, hallway, balcony), in any of the languages."""
    folded = normalize(text or "")
    return {room for room, pattern in _ROOMS.items() if pattern.search(folded)}


def words_in_common(text: str, conversation: str, names: tuple[str, ...] = ()) -> list[str]:
    """Content words of `text` that the conversation also has (as written in `text`, first seen first).

    `names` (the sender's name and address) are left out, and so is the text's sign-off (`unsigned`); the
    conversation's messages are each passed through `unsigned` by the caller (a joined text has one last line)."""
    skip = {_stem(w) for name in names for w in _WORD.findall(normalize(name or ""))}
    theirs = _content_words(conversation).keys() - skip
    return [word for stem, word in _content_words(unsigned(text)).items() if stem in theirs]


def unsigned(text: str) -> str:
    """One message without its last line when that line is a sign-off or a name ("Thanks, Maria", "Chen Wei")
    and an earlier line says something: a message's only content line is never dropped."""
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    if len(lines) < 2:
        return text or ""
    last = lines[-1].split()
    names = all(word[:1].isupper() for word in last if word[:1].isalpha())
    if len(last) > 3 or not (names or _SIGN_OFF.match(normalize(lines[-1]))):
        return text
    return "\n".join(lines[:-1]) if _content_words("\n".join(lines[:-1])) else text


def _content_words(text: str) -> dict[str, str]:
    """Stem → word for the words of a text that can name a topic (no stop words, rooms or greetings)."""
    words: dict[str, str] = {}
    for word in _WORD.findall(normalize(text or "")):
        if word not in _NOT_A_TOPIC and word not in stop_words():
            words.setdefault(_stem(word), word)
    return words


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word
