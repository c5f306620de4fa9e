"""The conventions inside an NL-Alert text: the dated prefix, the Dutch and English parts, tests.

An NL-Alert is one free text, shaped by habit rather than by a schema:

    NL-Alert 02-06-2025 12:00: <Dutch: what happens, what to do, where to read more> *** <English>

* The prefix `NL-Alert D(D)-M(M)-YYYY H(H):MM[:SS][:]` is optional (the colon after the time is
  often left out); its time is Dutch local time (Europe/Amsterdam) and is the only per-version
  timestamp the public feed has.
* The English part follows `***` (older messages: `###`) and is sometimes absent.
* Some messages end in an unmarked English sentence ("... crisis.nl. Keep windows closed.").
  That is detected conservatively (see `_trailing_english`): a wrong split would put Dutch in the
  English block, a missed one only leaves the English inside the Dutch block, so when in doubt the
  text is left whole.
* National tests say TESTBERICHT (2021-) or CONTROLEBERICHT (2020), in capitals.

Everything here is pure string work; the original text is always kept verbatim elsewhere, so these
heuristics shape the canonical blocks but never lose a character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
HEADLINE_MAX = 160  # CAP 1.2 advises headlines under 160 characters (SMS-sized)

# Every variant seen: with or without the colon after the time (or after "NL-Alert"), d-m-yyyy
# or dd-mm-yyyy, with or without seconds.
_PREFIX = re.compile(
    r"^\s*NL-Alert\s*:?\s+(?P<day>\d{1,2})-(?P<month>\d{1,2})-(?P<year>\d{4})\s+"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?(?:\s*:\s*|\s+|$)",
    re.IGNORECASE,
)
_MARKER = re.compile(r"\s*(\*{3,}|#{3,})\s*")
_SENTENCE_GAP = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[a-zà-ÿ]+")
# Capitals only and whole words: "dit is geen testbericht" in a real alert must stay Actual.
_TEST = re.compile(r"\b(?:TESTBERICHT|CONTROLEBERICHT)\b")

# Words that mark a sentence as English or as Dutch. Words common to both languages ("in", "is",
# "we", "test") are in neither list, so they never tip the balance.
_ENGLISH = frozenset(
    {
        "the",
        "you",
        "your",
        "and",
        "of",
        "with",
        "please",
        "keep",
        "close",
        "stay",
        "avoid",
        "windows",
        "doors",
        "inside",
        "information",
        "required",
        "warning",
        "this",
        "are",
        "from",
        "away",
        "area",
        "government",
        "public",
        "system",
        "action",
        "more",
        "at",
        "for",
        "no",
        "not",
        "go",
        "call",
        "police",
        "message",
        "until",
        "further",
        "notice",
        "smoke",
        "fire",
        "leave",
    }
)
_DUTCH = frozenset(
    {
        "de",
        "het",
        "een",
        "en",
        "je",
        "jij",
        "u",
        "uw",
        "van",
        "niet",
        "naar",
        "op",
        "bij",
        "voor",
        "met",
        "zijn",
        "wordt",
        "ramen",
        "deuren",
        "sluit",
        "blijf",
        "binnen",
        "meer",
        "informatie",
        "gebied",
        "ga",
        "houd",
        "er",
        "dit",
        "dat",
        "geen",
        "ook",
        "om",
        "te",
        "worden",
        "kijk",
        "bel",
        "rook",
        "brand",
        "advies",
        "aan",
    }
)


@dataclass(frozen=True)
class MessageParts:
    """An NL-Alert text taken apart; `dutch` and `english` exclude the prefix and the marker."""

    issued: datetime | None
    dutch: str
    english: str | None


def split_message(message: str) -> MessageParts:
    """Prefix time, Dutch part and English part of one NL-Alert text."""
    prefix = _PREFIX.match(message)
    body = message[prefix.end() :] if prefix else message
    marker = _MARKER.search(body)
    english: str | None
    if marker is not None:
        dutch, english = body[: marker.start()].strip(), body[marker.end() :].strip()
    else:
        dutch, english = _trailing_english(body.strip())
    return MessageParts(_issued(prefix), dutch, english or None)


def is_test(message: str) -> bool:
    """A national test or control message (status Test: kept, never shown publicly)."""
    return _TEST.search(message) is not None


def headline(part: str) -> str | None:
    """The first sentence of a part, without its full stop, cut at a word if very long."""
    first = _SENTENCE_GAP.split(part.strip(), maxsplit=1)[0]
    if first.endswith(".") and not first.endswith(".."):
        first = first[:-1]
    if len(first) > HEADLINE_MAX:
        first = first[: HEADLINE_MAX - 1].rsplit(" ", 1)[0] + "…"
    return first or None


def compose(when: datetime, dutch: str, english: str | None) -> str:
    """An NL-Alert text in the usual shape, stamped with `when` in Dutch local time."""
    try:
        local = when.astimezone(AMSTERDAM)
    except OverflowError:  # year 1 or 9999 from another channel: keep its own clock
        local = when
    stamp = (
        f"{local.day:02d}-{local.month:02d}-{local.year:04d} {local.hour:02d}:{local.minute:02d}"
    )
    text = f"NL-Alert {stamp}: {dutch}"
    return f"{text} *** {english}" if english else text


def _issued(prefix: re.Match[str] | None) -> datetime | None:
    """The prefix time as an aware datetime (fixed offset), or None if absent or impossible."""
    if prefix is None:
        return None
    try:
        year, month, day, hour, minute = (
            int(prefix[name]) for name in ("year", "month", "day", "hour", "minute")
        )
        second = int(prefix["second"] or 0)
        local = datetime(year, month, day, hour, minute, second, tzinfo=AMSTERDAM)
    except ValueError:  # 31-02-2025 or 25:00: free text, so not an error, just no timestamp
        return None
    # A fixed offset, so the canonical form never depends on tz data; the repeated autumn hour
    # reads as its first (summer-time) occurrence.
    return local.replace(tzinfo=timezone(local.utcoffset() or timedelta(0)))


def _trailing_english(body: str) -> tuple[str, str | None]:
    """Split off trailing English sentences that no marker announced.

    Walking back from the end, a sentence counts as English when it has at least two English
    marker words and no Dutch one. The first sentence is never taken, and the part left over must
    itself read as Dutch (at least one Dutch marker word); otherwise nothing is split.
    """
    starts = [m.end() for m in _SENTENCE_GAP.finditer(body)]
    cut = len(body)
    for start in reversed(starts):
        if not _is_english(body[start:cut]):
            break
        cut = start
    dutch = body[:cut].strip()
    if cut == len(body) or not _words(dutch) & _DUTCH:
        return body, None
    return dutch, body[cut:].strip()


def _words(sentence: str) -> set[str]:
    return set(_WORD.findall(sentence.lower()))


def _is_english(sentence: str) -> bool:
    words = _words(sentence)
    return len(words & _ENGLISH) >= 2 and not words & _DUTCH
