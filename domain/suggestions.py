"""Incidents found, not only linked: scoring whether two alerts of different systems are one event.

One abduction is published as an AMBER Alert, a Burgernet action and perhaps an NL-Alert that share
no identifier. Explicit links (CAP `incidents`, references) miss that, so the hub also *suggests*
pairs, from three kinds of evidence, each with a reason a person can check:

| evidence | points |
|---|---|
| place: areas overlap in a municipality (`GMxxxx`) / only in a safety region | 0.30 / 0.15 |
| time: sent within 1 hour / 6 hours (more than `WINDOW` apart: never suggested) | 0.20 / 0.10 |
| subject: both about a missing child / both of one specific CAP category | 0.30 / 0.15 |
| names: capitalised words (a name, a plate) in both, if the subject agrees | 0.10 each, max 0.20 |

A pair scoring `THRESHOLD` or more is suggested. Place and time alone (two unrelated alerts in one
town on one afternoon) reach 0.50 and are not; names count only when the subject agrees, since a
town's name in both texts says nothing. A suggestion is never applied by itself: an operator
confirms or rejects it (`domain.review`). The place evidence (which places each area overlaps) is
computed outside the domain and handed in as place codes.
"""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import UUID, uuid5

from domain.identity import NAMESPACE
from domain.model import Category, Info, Value
from domain.state import AlertState

THRESHOLD = 0.6
WINDOW = timedelta(hours=48)
CHILD_EVENT_CODE = ("SAME", "CAE")  # Child Abduction Emergency
_CHILD_WORDS = re.compile(r"\b(amber alert|vermist kind|vermiste? (?:jongen|meisje|kind))", re.I)
_GENERIC = frozenset({Category.SAFETY, Category.OTHER})
_NAME = re.compile(r"\b[A-Z][a-zà-ÿ]{2,}\b|\b[0-9A-Z]{1,3}-[0-9A-Z]{2,3}-[0-9A-Z]{1,3}\b")
_NOT_NAMES = frozenset(
    {"NL-Alert", "AMBER", "Amber", "Alert", "Burgernet", "Politie", "Police", "Vermist", "Kind"}
    | {"Het", "Een", "Bel", "Heeft", "Hij", "Zij", "Wij", "Kijk", "Blijf", "Sluit", "Ga", "Houd"}
    | {"The", "Call", "Keep", "Stay", "Close", "Missing", "Child", "Please", "Have", "Seen"}
    | {"Maandag", "Dinsdag", "Woensdag", "Donderdag", "Vrijdag", "Zaterdag", "Zondag"}
)


class Suggestion(Value):
    """Two alerts that may be one incident: never merged until an operator confirms."""

    suggestion_id: UUID
    alert_ids: tuple[UUID, UUID]
    score: float
    reasons: list[str]


def suggestion_id(a: UUID, b: UUID) -> UUID:
    """The same pair always has the same id, whichever alert comes first."""
    first, second = sorted((str(a), str(b)))
    return uuid5(NAMESPACE, f"suggestion:{first}:{second}")


def suggest(
    a: AlertState, b: AlertState, places_a: set[str], places_b: set[str]
) -> Suggestion | None:
    """A suggestion when the evidence reaches THRESHOLD; None otherwise (or when out of scope).

    Only public alerts of different channels are compared: Test and Exercise never join an
    incident by suggestion, and one system's own alerts are linked by its own ids.
    """
    if not (a.is_public and b.is_public) or a.origin.channel == b.origin.channel:
        return None
    apart = abs(a.current.sent - b.current.sent)
    if apart > WINDOW:
        return None
    reasons: list[tuple[float, str]] = []
    reasons += _place(places_a & places_b)
    reasons += _time(apart)
    subject = _subject(a, b)
    reasons += subject
    if subject:
        reasons += _names(a, b)
    score = round(sum(points for points, _ in reasons), 2)
    if score < THRESHOLD:
        return None
    ids = tuple(sorted((a.alert_id, b.alert_id), key=str))
    return Suggestion(
        suggestion_id=suggestion_id(a.alert_id, b.alert_id),
        alert_ids=(ids[0], ids[1]),
        score=min(score, 1.0),
        reasons=[f"{text} (+{points:.2f})" for points, text in reasons],
    )


def _place(shared: set[str]) -> list[tuple[float, str]]:
    municipalities = sorted(c for c in shared if c.startswith("GM"))
    if municipalities:
        return [(0.30, f"areas overlap in municipality {', '.join(municipalities)}")]
    regions = sorted(c for c in shared if c.startswith("VR"))
    return [(0.15, f"areas overlap in safety region {', '.join(regions)}")] if regions else []


def _time(apart: timedelta) -> list[tuple[float, str]]:
    minutes = int(apart.total_seconds() // 60)
    if apart <= timedelta(hours=1):
        return [(0.20, f"sent {minutes} minutes apart")]
    if apart <= timedelta(hours=6):
        return [(0.10, f"sent {minutes // 60} hours apart")]
    return []


def _subject(a: AlertState, b: AlertState) -> list[tuple[float, str]]:
    if _is_child_alert(a) and _is_child_alert(b):
        return [(0.30, "both about a missing child")]
    shared = (_categories(a) & _categories(b)) - _GENERIC
    if shared:
        return [(0.15, f"same category {', '.join(sorted(c.value for c in shared))}")]
    return []


def _names(a: AlertState, b: AlertState) -> list[tuple[float, str]]:
    shared = sorted(_names_in(a) & _names_in(b))
    if not shared:
        return []
    return [(min(0.10 * len(shared), 0.20), f"both name {', '.join(shared[:5])}")]


def _infos(state: AlertState) -> list[Info]:
    return list(state.current.info)


def _categories(state: AlertState) -> set[Category]:
    return {c for info in _infos(state) for c in info.category}


def _is_child_alert(state: AlertState) -> bool:
    for info in _infos(state):
        codes = {(c.name, c.value) for c in info.event_codes}
        flagged = any(
            p.value.lower() == "true" for p in info.parameters if "amber" in p.name.lower()
        )
        if CHILD_EVENT_CODE in codes or flagged or _CHILD_WORDS.search(info.event):
            return True
    return False


def _names_in(state: AlertState) -> set[str]:
    text = " ".join(
        part for info in _infos(state) for part in (info.headline, info.description) if part
    )
    return {word for word in _NAME.findall(text) if word not in _NOT_NAMES}
