"""A short text for neighbourhood-group messengers: what happened, where, what to do, whom to call.

Written to be pasted as-is into a buurtpreventie or buurtwacht group: Dutch first, at most
`LIMIT` characters (a phone shows it whole without "read more"), the English part only when the
alert has one and there is room. Burgernet and AMBER use the wording those systems use with the
public: the free Burgernet number 0800-0011, the missing-child tip line 0800-6070, and 112 for
an emergency or a direct sighting.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.model import AlertMessage, Info

LIMIT = 700
BURGERNET_CALL = "Ziet u iets? Bel direct gratis 0800-0011 (Burgernet). Bij spoed: 112."
AMBER_CALL = "Heeft u informatie? Bel 0800-6070. Ziet u het kind nu of is er spoed? Bel 112."
ENDED_TITLE = {
    "found": "Gevonden",
    "not_found": "Actie beëindigd (niet gevonden)",
    "resolved": "Afgelopen",
    "cancelled": "Ingetrokken",
    "withdrawn": "Ingetrokken",
}
KIND = {
    "burgernet": "Burgernet",
    "amber": "AMBER Alert",
    "nlalert": "NL-Alert",
    "cap": "Waarschuwing",
}


@dataclass(frozen=True)
class GroupMessage:
    text: str
    language: str

    def as_json(self) -> dict[str, str]:
        return {"text": self.text, "language": self.language}


def render(
    channel: str,
    message: AlertMessage,
    link: str,
    ended_outcome: str | None = None,
    language: str = "nl",
) -> GroupMessage:
    """The group text for one alert message; `ended_outcome` set when the alert has ended.

    Dutch is the group's language; a subscriber who asked for English gets the English part first
    when the alert has one.
    """
    dutch = _info(message, "nl")
    english = _info(message, "en")
    if language == "en" and english is not None:
        dutch, english = english, None
    kind = _kind(channel, message)
    if ended_outcome is not None:
        title = ENDED_TITLE.get(ended_outcome, "Afgelopen")
        what = _first(dutch.headline if dutch else None, message.note, "")
        lines = [f"{kind} — {title}", what, f"Meer: {link}"]
        return GroupMessage(_fit([line for line in lines if line]), "nl")
    info = dutch or english or (message.info[0] if message.info else None)
    lines = [
        f"{kind}: {_first(info.headline if info else None, info.event if info else None, '')}",
        _where(info),
        _short(info.description if info else None, 280),
        _todo(channel, kind, info),
        f"Meer: {link}",
    ]
    text = _fit([line for line in lines if line])
    if english is not None and english is not info and english.headline:
        candidate = f"{text}\n\nEN: {english.headline}"
        text = candidate if len(candidate) <= LIMIT else text
    return GroupMessage(text, info.language[:2].lower() if info else language)


def _kind(channel: str, message: AlertMessage) -> str:
    if channel == "amber":
        levels = {p.value for i in message.info for p in i.parameters if p.name == "AlertLevel"}
        return "Vermist Kind Alert" if "5" in levels else "AMBER Alert"
    return KIND.get(channel, "Waarschuwing")


def _info(message: AlertMessage, language: str) -> Info | None:
    return next((i for i in message.info if i.language.lower().startswith(language)), None)


def _where(info: Info | None) -> str:
    places = [a.description for a in info.areas if a.description] if info else []
    return f"Waar: {', '.join(places)}" if places else ""


def _todo(channel: str, kind: str, info: Info | None) -> str:
    if kind in {"AMBER Alert", "Vermist Kind Alert"}:
        return AMBER_CALL
    if channel == "burgernet":
        return BURGERNET_CALL
    instruction = _short(info.instruction if info else None, 200)
    return f"Wat te doen: {instruction}" if instruction else ""


def _first(*values: str | None) -> str:
    return next((v.strip() for v in values if v and v.strip()), "")


def _short(text: str | None, limit: int) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _fit(lines: list[str]) -> str:
    """Join the lines; if too long, shorten the longest middle line (the description) first."""
    text = "\n".join(lines)
    while len(text) > LIMIT and len(lines) > 2:
        middle = max(range(1, len(lines) - 1), key=lambda i: len(lines[i]))
        excess = len(text) - LIMIT
        lines[middle] = _short(lines[middle], max(0, len(lines[middle]) - excess - 1))
        lines = [line for line in lines if line]
        text = "\n".join(lines)
    return text[:LIMIT]
