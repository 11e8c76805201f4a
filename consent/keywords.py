"""SMS keywords (DESIGN.md): the whole message, case-insensitive, ignoring surrounding
spaces and punctuation. Anything else is not a keyword and changes nothing."""

from __future__ import annotations

import re
import unicodedata

STOP = "stop"
STOPALL = "stopall"
START = "start"
YES = "yes"
HELP = "help"

_KEYWORDS = {
    "stop": STOP,
    "unsubscribe": STOP,
    "cancel": STOP,
    "end": STOP,
    "quit": STOP,
    "revoke": STOP,
    "optout": STOP,
    "opt out": STOP,
    "stopall": STOPALL,
    "stop all": STOPALL,
    "start": START,
    "unstop": START,
    "yes": YES,
    "help": HELP,
    "info": HELP,
}
_NOT_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"[\s_]+")


def _normalise(body: str) -> str:
    text = unicodedata.normalize("NFKC", body or "").casefold()
    text = _NOT_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def keyword_classify(body: str) -> str:
    """The keyword the whole message is ("stop", "stopall", "start", "yes", "help"), or "".

    Punctuation inside counts as a separator, so "opt-out" and "opt out" both match;
    a keyword inside a sentence ("please stop texting me") does not."""
    text = _normalise(body)
    if text in _KEYWORDS:
        return _KEYWORDS[text]
    # "opt-out" → "opt out"; "OPT.OUT" → "opt out"; also accept it written together.
    joined = text.replace(" ", "")
    return _KEYWORDS.get(joined, "") if joined in {"optout", "stopall"} else ""
