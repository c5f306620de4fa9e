"""Which Burgernet messages close an action, and with what outcome.

Burgernet ends every action with a result message to everyone it reached ("persoon wel of niet
aangetroffen"), but no official schema or message-type list was found. So this
classifier is deliberately conservative, and its assumptions are written down here:

1. `messageType` is trusted first. A type in `CLOSING_TYPES` (guessed spellings such as `END`,
   `CLOSE`, `EINDE`, `RESULTAAT`) closes the action; a type in `CANCEL_TYPES` closes it as
   cancelled. The text then only refines the outcome.
2. Without such a type, the text alone closes the action only when it says so unmistakably:
   the action itself ended ("De actie is beëindigd"), or the person sought was (not) found, with
   that person as the subject ("De gezochte persoon is aangetroffen", "De vermiste vrouw is
   teruggevonden", "De verdachte is aangehouden"). "De auto is gevonden" alone does not close:
   the search may go on. A message that says the search continues ("wordt nog gezocht",
   "nog niet gevonden") never closes on text alone.
3. Outcome precedence: not found ("niet aangetroffen") > found ("aangetroffen", "teruggevonden",
   "gevonden", "aangehouden") > withdrawn ("ingetrokken") > resolved (anything else that closes).

A wrong "closing" verdict ends an alert early (and the hub then refuses later updates), so when in
doubt the classifier says "not closing".
"""

from __future__ import annotations

import re
import unicodedata

from domain.commands import Outcome

CLOSING_TYPES = frozenset(
    {"END", "ENDED", "CLOSE", "CLOSED", "CLOSING", "FINAL", "RESULT"}
    | {"EINDE", "AFSLUITING", "AFGESLOTEN", "BEEINDIGD", "RESULTAAT", "EINDBERICHT"}
)
CANCEL_TYPES = frozenset({"CANCEL", "CANCELLED", "CANCELED", "INGETROKKEN"})

_SENTENCE = r"[^.!?\n]"
_FOUND_WORDS = r"(?:aangetroffen|teruggevonden|gevonden|aangehouden)"
_NOT_FOUND = re.compile(rf"\bniet\s+(?:meer\s+)?{_FOUND_WORDS}\b")
_FOUND = re.compile(rf"\b{_FOUND_WORDS}\b|\bis\s+(?:weer\s+)?terecht\b")
_WITHDRAWN = re.compile(r"\bingetrokken\b")
_ACTION_ENDED = re.compile(
    rf"\b(?:burgernet-?)?actie\b{_SENTENCE}{{0,60}}\b(?:beeindigd|afgelopen|gestopt|afgesloten)\b"
)
_SUBJECT_FOUND = re.compile(
    rf"\b(?:gezochte|vermiste|verdachte)n?\b{_SENTENCE}{{0,60}}\b(?:is|zijn)\b"
    rf"{_SENTENCE}{{0,30}}{_FOUND_WORDS}\b"
)
_SEARCH_GOES_ON = re.compile(
    r"\bnog\s+(?:steeds\s+)?niet\b|\bwordt\s+nog\b|\bnog\s+gezocht\b|\bgaat\s+door\b"
    r"|\bvoortgezet\b"
)


def normalise(text: str) -> str:
    """Casefolded, without diacritics: 'beëindigd' and 'beeindigd' read the same."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def message_type_key(message_type: str | None) -> str:
    """`end`, ` End ` and `E-N-D` are one spelling: upper case, letters and digits only."""
    return re.sub(r"[^A-Z0-9]", "", (message_type or "").upper())


def stated_outcome(text: str) -> Outcome | None:
    """The outcome a (normalised) text states, if it states one."""
    if _NOT_FOUND.search(text):
        return Outcome.NOT_FOUND
    if _FOUND.search(text):
        return Outcome.FOUND
    if _WITHDRAWN.search(text):
        return Outcome.WITHDRAWN
    return None


def closing_outcome(message_type: str | None, title: str, body: str) -> Outcome | None:
    """The outcome this message closes the action with, or None if it does not close it."""
    text = normalise(f"{title}\n{body}")
    kind = message_type_key(message_type)
    if kind in CLOSING_TYPES:
        return stated_outcome(text) or Outcome.RESOLVED
    if kind in CANCEL_TYPES:
        return stated_outcome(text) or Outcome.CANCELLED
    if _SEARCH_GOES_ON.search(text):
        return None
    if _SUBJECT_FOUND.search(text):
        return stated_outcome(text) or Outcome.FOUND
    if _ACTION_ENDED.search(text):
        return stated_outcome(text) or Outcome.RESOLVED
    return None
