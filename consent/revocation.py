"""Revocation of consent in the person's own words (FCC, 47 CFR 64.1200(a)(10):
"any reasonable method"; docs/law.md): a small phrase grammar for English and Spanish
texts, and the business-day calendar of the staff review.

A text is a **clear** revocation when the whole message is one or more revocation
clauses ("please stop texting me", "remove me from your list", "don't text me",
"alto", "no me envíen más mensajes"), with only politeness around them ("please",
"thanks", "por favor", "ya"). Clear revocations opt out at once, as STOP does.

It is a **possible** revocation when it holds a revocation word but is not such a
message ("don't stop", "stop by tomorrow", "I can't stop laughing", "not interested",
"wrong number"): staff decide within 10 business days. Anything else is nothing.

Conservative on purpose: a word inside a sentence never revokes by itself (that is a
guess), and no negation or question around a clause is accepted. The keywords of
``consent.keywords`` (STOP, UNSUBSCRIBE…) are matched before this module is asked."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass

import holidays

CLEAR = "clear"
POSSIBLE = "possible"
NONE = ""


@dataclass(frozen=True)
class Revocation:
    kind: str  # CLEAR, POSSIBLE or NONE
    language: str = ""  # "en" or "es" for a clear revocation
    # What made it a revocation or a doubt, as a code (never the person's words).
    signal: str = ""

    @property
    def is_clear(self) -> bool:
        return self.kind == CLEAR

    @property
    def is_possible(self) -> bool:
        return self.kind == POSSIBLE


def _normalise(body: str) -> str:
    """Lower case, accents and apostrophes dropped ("don't" → "dont", "más" → "mas"),
    every other non-letter a space."""
    text = unicodedata.normalize("NFKD", body or "").casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    # Apostrophes, typographic ones included (U+2019, U+00B4).
    text = re.sub("['\u2019`\u00b4]", "", text)
    text = re.sub(r"[^\w\s]+|_", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _any(*options: str) -> str:
    return "(?:" + "|".join(options) + ")"


def _opt(pattern: str) -> str:
    return f"(?: {pattern})?"


# --- English ---------------------------------------------------------------------------
_MESSAGES = _any("texts?", "txts?", "messages?", "msgs?", "sms", "these", "this", "them")
_MORE = _any("anymore", "any more", "again", "ever again")
_LIST = _any(
    "(?:your|the|this|ur|ya|that) "
    + _any(
        "list",
        "mailing list",
        "texting list",
        "text list",
        "sms list",
        "contact list",
        "database",
        "system",
        "texts",
        "messages",
    )
)
_CONTACTING = _any(
    "texting",
    "txting",
    "messaging",
    "contacting",
    "calling",
    "bothering",
    "spamming",
    "sending " + _any("me ", "") + _any("any more ", "more ", "") + _MESSAGES,
)
_EN_CLAUSES = [
    # please stop texting me / stop sending me messages / quit messaging me
    _any("stop", "quit")
    + " "
    + _CONTACTING
    + _opt("me")
    + _opt(_any("at|on|to") + " this number")
    + _opt(_MORE),
    # stop / stop it / stop now / stop all (with politeness around, from _EN_AROUND)
    "stop" + _opt(_any("it", "all", "everything", "all messages", "all texts")),
    # don't text me / do not contact me again / never message me
    _any("dont", "do not", "never")
    + " "
    + _any("text", "txt", "message", "msg", "contact", "call", "sms", "spam")
    + " me"
    + _opt(_any("here", "at this number"))
    + _opt(_MORE),
    # don't send me any more texts
    _any("dont", "do not")
    + " send me "
    + _any("any more ", "anymore ", "more ", "any ", "")
    + _MESSAGES
    + _opt(_MORE),
    # remove me (from your list) / remove my number / take me off your list
    "remove " + _any("me", "my number", "this number", "my phone number") + _opt("from " + _LIST),
    "take " + _any("me", "my number", "this number") + " off" + _opt(_LIST),
    "unsubscribe" + _opt("me") + _opt("from " + _LIST),
    "opt me out" + _opt("of " + _LIST),
    # I want to unsubscribe / I'd like to opt out / I wish to stop receiving these texts
    _any("i want to", "i wanna", "i would like to", "id like to", "i wish to", "i need to")
    + " "
    + _any(
        "unsubscribe",
        "opt out",
        "optout",
        "be removed" + _opt("from " + _LIST),
        "stop "
        + _any("receiving", "getting")
        + " "
        + _any("these ", "your ", "the ", "")
        + _MESSAGES,
    ),
    # no more texts
    "no more " + _MESSAGES,
    # I don't want (any more / these) texts (anymore)
    _any("i ", "")
    + _any("dont", "do not", "no longer")
    + " want "
    + _any("any more ", "anymore ", "more ", "these ", "your ", "any ", "")
    + _MESSAGES
    + _opt(_MORE),
    "leave me alone",
    # I revoke my consent / I withdraw my consent
    _any("i ", "")
    + _any("revoke", "withdraw", "cancel")
    + " my "
    + _any("consent", "subscription"),
]
_EN_BEFORE = _any(
    "please",
    "pls",
    "plz",
    "plse",
    "kindly",
    "hi",
    "hello",
    "hey",
    "ok",
    "okay",
    "sorry",
    "no",
    "no thanks",
    "no thank you",
    "i said",
    "seriously",
    "just",
    "again",
    "yes",
    "can you",
    "could you",
    "would you",
    "will you",
)
_EN_AFTER = _any(
    "please",
    "pls",
    "plz",
    "thanks",
    "thank you",
    "thx",
    "ty",
    "now",
    "right now",
    "immediately",
    "asap",
    "already",
    "ok",
    "okay",
    "for good",
    "forever",
    "permanently",
    "again",
    "seriously",
)

# --- Spanish (accents dropped by _normalise) ---------------------------------------------
_ES_MESSAGES = _any("mensajes?", "msjs?", "textos?", "sms", "mensajitos", "correos")
_ES_LIST = _any(
    "de "
    + _any("la", "su", "tu", "esta", "sus", "la lista de")
    + " "
    + _any("lista", "listas", "base de datos")
)
_ES_SEND = _any(
    "envien",
    "envies",
    "envie",
    "manden",
    "mandes",
    "mande",
    "escriban",
    "escribas",
    "escriba",
    "contacten",
    "contactes",
    "contacte",
    "llamen",
    "llames",
    "llame",
)
_ES_CLAUSES = [
    _any(
        "alto",
        "baja",
        "basta",
        "parar",
        "cancelar",
        "detener",
        "desuscribir",
        "desuscribirme",
        "darme de baja",
        "dar de baja",
        "de baja",
        "me doy de baja",
        "no mas",
        "nada mas",
        "stop",
    ),
    "no mas " + _ES_MESSAGES,
    # no me envíen más mensajes / ya no me escriban
    _any("no", "nunca")
    + " me "
    + _ES_SEND
    + _opt("mas")
    + _opt(_ES_MESSAGES)
    + _opt(_any("nunca mas", "jamas")),
    # dejen de enviarme mensajes / para de escribirme
    _any("dejen", "deje", "deja", "dejar", "paren", "pare", "para")
    + " de "
    + _any(
        "enviarme",
        "mandarme",
        "escribirme",
        "contactarme",
        "llamarme",
        "molestarme",
        "enviar",
        "mandar",
        "escribir",
    )
    + _opt(_ES_MESSAGES),
    # no quiero recibir más mensajes / ya no quiero mensajes
    "no quiero " + _any("recibir ", "") + _any("mas ", "") + _ES_MESSAGES + _opt("mas"),
    # quiero darme de baja / quiero cancelar / quiero salir de la lista
    _any("quiero", "quisiera", "deseo", "favor de")
    + " "
    + _any(
        "darme de baja",
        "dar de baja",
        "cancelar",
        "desuscribirme",
        "salir " + _ES_LIST,
        "que me " + _any("borren", "eliminen", "saquen", "quiten") + " " + _ES_LIST,
    )
    + _opt(_any("de " + _any("los", "sus", "tus") + " " + _ES_MESSAGES)),
    # bórrenme de la lista / sáquenme de su lista
    _any(
        "borrenme",
        "borrame",
        "eliminenme",
        "eliminame",
        "sacame",
        "saquenme",
        "quitame",
        "quitenme",
    )
    + " "
    + _ES_LIST,
]
_ES_BEFORE = _any("por favor", "porfa", "porfavor", "hola", "ya", "no gracias", "oiga", "oigan")
_ES_AFTER = _any(
    "por favor",
    "porfa",
    "porfavor",
    "gracias",
    "ya",
    "ahora",
    "ahora mismo",
    "ya no",
    "nunca mas",
    "de inmediato",
)


def _grammar(clauses: list[str], before: str, after: str) -> re.Pattern:
    clause = _any(*clauses)
    # No two ways to read the same words anywhere in the grammar (e.g. "and please" is
    # " and " then the politeness "please"): overlapping alternatives under these
    # repetitions would make a long text take exponential time to refuse.
    joiner = _any(" and ", " y ", " ")
    return re.compile(
        f"(?:{before} )*{clause}(?:{joiner}(?:{before} )*{clause})*(?: {after})*",
    )


_EN = _grammar(_EN_CLAUSES, _EN_BEFORE, _EN_AFTER)
_ES = _grammar(_ES_CLAUSES, _ES_BEFORE, _ES_AFTER)

# Words and phrases that make a text worth a human look when it is not a clear
# revocation. Matched on whole words of the normalised text.
_DOUBT_WORDS = {
    "stop",
    "stopp",
    "stahp",
    "unsubscribe",
    "unsub",
    "remove",
    "cancel",
    "quit",
    "optout",
    "revoke",
    "spam",
    "alto",
    "baja",
    "basta",
    "parar",
    "pare",
    "paren",
    "cancelar",
    "detener",
    "eliminar",
    "borrar",
    "borrame",
    "desuscribir",
}
_DOUBT_PHRASES = (
    "opt out",
    "not interested",
    "no longer interested",
    "wrong number",
    "who is this",
    "no more",
    "leave me",
    "no me interesa",
    "numero equivocado",
    "no mas",
    "quien es",
)


@functools.lru_cache(maxsize=4096)
def revocation_classify(body: str) -> Revocation:
    """Whether a text revokes consent: ``CLEAR``, ``POSSIBLE`` (for staff) or ``NONE``."""
    text = _normalise(body)
    if not text or len(text) > 300:
        # A long message is a conversation, not a revocation phrase: staff read it if
        # it holds a revocation word.
        return _doubt(text[:2000])
    if _EN.fullmatch(text):
        return Revocation(CLEAR, "en", "en_phrase")
    if _ES.fullmatch(text):
        return Revocation(CLEAR, "es", "es_phrase")
    return _doubt(text)


def _doubt(text: str) -> Revocation:
    words = set(text.split())
    for word in sorted(words & _DOUBT_WORDS):
        return Revocation(POSSIBLE, signal=f"word:{word}")
    padded = f" {text} "
    for phrase in _DOUBT_PHRASES:
        if f" {phrase} " in padded:
            return Revocation(POSSIBLE, signal=f"phrase:{phrase.replace(' ', '_')}")
    return Revocation(NONE)


# --- the review's calendar ------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _us_federal_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("US", years=year).keys())


def business_days_after(start: dt.date, days: int) -> dt.date:
    """The day ``days`` US business days after ``start`` (the day of receipt does not
    count; Saturdays, Sundays and US federal holidays are skipped)."""
    day = start
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in _us_federal_holidays(day.year):
            remaining -= 1
    return day
