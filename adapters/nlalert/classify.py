"""What an NL-Alert is about, read from its text: a small keyword classifier.

The NL-Alert feed has no category or event: every item is free text. To let views, filters and
incidents tell a storm from a fire, the text is matched against a short list of Dutch and English
word stems per kind of emergency. The kind with the most matching stems wins; a tie or no match at
all falls back to CAP category `Safety` and event `NL-Alert`, because a wrong guess (a fire filed
as weather) is worse than an honest "general safety". A national test is always `test`.

| kind | category | event (nl / en) | stems, for example |
|---|---|---|---|
| weather | Met | Zwaar weer / Severe weather | storm, onweer, windstoten, code rood |
| fire | Fire | Brand / Fire | brand, rook, vuur, fire, smoke |
| hazardous | CBRNE | Gevaarlijke stoffen / Hazardous substances | gifwolk, gaslek, ammoniak |
| water | Met | Overstroming / Flooding | overstroming, hoogwater, dijk, flood |
| public_order | Security | Openbare orde / Public order | rellen, schietpartij, te druk |
| health | Health | Gezondheid / Health | corona, virus, besmetting, drinkwater |
| test | Other | Testbericht / Test message | TESTBERICHT, CONTROLEBERICHT |

The choice is a derivation, not something the sender said, so the parser records it beside the
text as parameter `nlalert:classified` (the kind and the stems that decided it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.model import Category

_STEMS: dict[str, tuple[str, ...]] = {
    "weather": (
        "storm",
        "onweer",
        "windstoot",
        "windstoten",
        "hagel",
        "code rood",
        "sneeuw",
        "ijzel",
        "gladheid",
        "hitte",
        "orkaan",
        "tornado",
        "thunder",
        "severe weather",
        "gusts",
    ),
    "fire": ("brand", "rook", "vuur", "fire", "smoke", "blaze"),
    "hazardous": (
        "gevaarlijke stof",
        "gifwolk",
        "giftig",
        "chemisch",
        "gaslek",
        "gaswolk",
        "asbest",
        "ammoniak",
        "chloor",
        "schadelijke stof",
        "toxic",
        "chemical",
        "gas leak",
        "hazardous",
    ),
    "water": (
        "overstroming",
        "hoogwater",
        "dijk",
        "wateroverlast",
        "waterstand",
        "flood",
        "high water",
    ),
    "public_order": (
        "openbare orde",
        "rellen",
        "onrust",
        "schietpartij",
        "schietincident",
        "explosie",
        "aanslag",
        "terror",
        "te druk",
        "riot",
        "shooting",
        "explosion",
        "crowd",
    ),
    "health": (
        "corona",
        "virus",
        "besmetting",
        "drinkwater",
        "ziekte",
        "pandemie",
        "gezondheid",
        "health",
        "disease",
        "infection",
    ),
}
_EVENTS: dict[str, tuple[Category, str, str]] = {
    "weather": (Category.MET, "Zwaar weer", "Severe weather"),
    "fire": (Category.FIRE, "Brand", "Fire"),
    "hazardous": (Category.CBRNE, "Gevaarlijke stoffen", "Hazardous substances"),
    "water": (Category.MET, "Overstroming", "Flooding"),
    "public_order": (Category.SECURITY, "Openbare orde", "Public order"),
    "health": (Category.HEALTH, "Gezondheid", "Health"),
    "test": (Category.OTHER, "Testbericht", "Test message"),
}
FALLBACK = (Category.SAFETY, "NL-Alert", "NL-Alert")
_PATTERNS = {
    kind: [(stem, re.compile(rf"\b{re.escape(stem)}", re.IGNORECASE)) for stem in stems]
    for kind, stems in _STEMS.items()
}


@dataclass(frozen=True)
class Classification:
    """The derived kind (None: unsure, the fallback applies) and the stems that decided it."""

    kind: str | None
    matched: tuple[str, ...] = ()

    @property
    def category(self) -> Category:
        return _EVENTS[self.kind][0] if self.kind else FALLBACK[0]

    def event(self, language: str) -> str:
        _, dutch, english = _EVENTS[self.kind] if self.kind else FALLBACK
        return dutch if language.lower().startswith("nl") else english

    @property
    def recorded(self) -> str:
        """The parameter value that says what was derived and why."""
        if self.kind is None:
            return "none: no single kind matched, fallback Safety"
        return f"{self.kind}: {', '.join(self.matched)}" if self.matched else self.kind


def classify(text: str, *, test: bool = False) -> Classification:
    """The kind of emergency an NL-Alert text describes; a test is always `test`."""
    if test:
        return Classification("test")
    hits = {
        kind: tuple(stem for stem, pattern in patterns if pattern.search(text))
        for kind, patterns in _PATTERNS.items()
    }
    best = max(len(found) for found in hits.values())
    winners = [kind for kind, found in hits.items() if len(found) == best]
    if best == 0 or len(winners) > 1:
        return Classification(None)
    return Classification(winners[0], hits[winners[0]])
