"""The NL-Alert view: an alert as one feed item, with its cell broadcast pages and its CAP.

An alert that came through this channel is rebuilt exactly from its `nlalert:message` parameter,
its areas and its times, so its body parses back to the same canonical message. An alert from
another channel is composed in the NL-Alert shape (`NL-Alert DD-MM-YYYY HH:MM: <nl> *** <en>`) from
its info blocks. `lost` is not a guess: it compares the alert with what its own body parses back
to, and names every canonical field that did not survive.
"""

from __future__ import annotations

import json
from typing import Any

from adapters.base import Rendering
from adapters.cap.render import number, render_cap
from adapters.nlalert.cellbroadcast import encode
from adapters.nlalert.parse import PARAMETER, parse_feed, sent_rule, thread_of
from adapters.nlalert.schema import MAX_MESSAGE, UNSAFE_CHARACTERS
from adapters.nlalert.text import compose, split_message
from domain.commands import Command
from domain.errors import InvalidMessageError
from domain.model import AlertMessage, Area, Info
from domain.state import AlertState

MEDIA_TYPE = "application/json"
_THREAD_PREFIX = thread_of("")


def render_alert(state: AlertState) -> Rendering:
    """The alert's view (item + cell broadcast + CAP) and its wire body (the item alone)."""
    item = native_item(state)
    body = json.dumps(item, ensure_ascii=False).encode("utf-8")
    native = {
        **item,
        "cell_broadcast": cell_broadcast(item["message"]),
        "cap": render_cap(state.current),
    }
    return Rendering(
        native=native, body=body, media_type=MEDIA_TYPE, lost=lost_fields(state.current, body)
    )


def native_item(state: AlertState) -> dict[str, Any]:
    """`{"id", "message", "area", "start_at", "stop_at"}` (+ `updated_at` when `sent` needs it)."""
    current = state.current
    main, english = pick_blocks(current)
    start = (main.effective if main else None) or current.sent
    stop = main.expires if main else None
    if stop is not None and stop < start:
        stop = start  # the feed cannot say "expired before it started"; lost names info.expires
    own = UNSAFE_CHARACTERS.sub("", _own_text(current) or "")  # a no-op for parsed items
    message = own if own.strip() else _composed(current, main, english)
    item: dict[str, Any] = {
        "id": _item_id(state),
        "message": message,
        "area": [_polygon_text(p) for area in _area_source(current, main) for p in area.polygons],
        "start_at": start.isoformat(),
        "stop_at": stop.isoformat() if stop else None,
    }
    expected = sent_rule(start, stop, split_message(message).issued)
    if expected != current.sent or expected.utcoffset() != current.sent.utcoffset():
        item["updated_at"] = current.sent.isoformat()
    return item


def cell_broadcast(message: str) -> dict[str, Any]:
    """What the phones get: never cut silently, `fits` false and `overflow` > 0 when too long."""
    encoded = encode(message, language="nl")
    return {
        "encoding": encoded.encoding.value,
        "data_coding_scheme": encoded.data_coding_scheme,
        "pages": [page.hex() for page in encoded.pages],
        "units": encoded.units,
        "capacity": encoded.capacity,
        "fits": encoded.fits,
        "overflow": encoded.overflow,
        "non_gsm_characters": list(encoded.non_gsm_characters),
    }


def pick_blocks(message: AlertMessage) -> tuple[Info | None, Info | None]:
    """The block the text is made from (Dutch, else the first) and the English one, if separate."""
    dutch = _first_in(message, "nl")
    english = _first_in(message, "en")
    main = dutch or (message.info[0] if message.info else None)
    return main, english if english is not main else None


def _first_in(message: AlertMessage, primary: str) -> Info | None:
    return next(
        (i for i in message.info if i.language.split("-")[0].lower() == primary),
        None,
    )


def _own_text(message: AlertMessage) -> str | None:
    return next((i.parameter(PARAMETER) for i in message.info if i.parameter(PARAMETER)), None)


def _item_id(state: AlertState) -> str:
    thread = state.thread or ""
    if thread.startswith(_THREAD_PREFIX):
        return thread[len(_THREAD_PREFIX) :]
    return str(state.alert_id)


def _area_source(message: AlertMessage, main: Info | None) -> list[Area]:
    if main is not None and any(area.polygons for area in main.areas):
        return main.areas
    return next((i.areas for i in message.info if any(a.polygons for a in i.areas)), [])


def _polygon_text(polygon: list[tuple[float, float]]) -> str:
    return " ".join(f"{number(lat)},{number(lon)}" for lat, lon in polygon)


def _composed(message: AlertMessage, main: Info | None, english: Info | None) -> str:
    """An NL-Alert text for an alert from another channel, safe to parse back."""
    first = _block_text(main) if main else ""
    fallback = message.note or message.identifier
    text = compose(message.sent, first or fallback, _block_text(english) if english else None)
    text = UNSAFE_CHARACTERS.sub("", text)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _block_text(info: Info) -> str:
    """Headline, description, instruction and web in one text, as an NL-Alert says it all."""
    description = (info.description or "").strip()
    parts = []
    title = (info.headline or "").strip()
    if title and not description.startswith(title):
        parts.append(title if title[-1] in ".!?" else f"{title}.")
    parts += [description, (info.instruction or "").strip()]
    if info.web and info.web not in description:
        parts.append(info.web)
    return " ".join(part for part in parts if part) or info.event.strip()


def lost_fields(original: AlertMessage, body: bytes) -> tuple[str, ...]:
    """Canonical fields of `original` that its NL-Alert body does not bring back."""
    try:
        copy = next(i.message for i in parse_feed(body) if isinstance(i, Command))
    except InvalidMessageError:  # e.g. a year NL-Alert times cannot hold: nothing comes back
        return tuple(name for name, value in original if value not in (None, []))
    lost = [
        name
        for name in AlertMessage.model_fields
        if name != "info" and getattr(original, name) != getattr(copy, name)
    ]
    lost += _lost_info(original, copy)
    return tuple(dict.fromkeys(lost))


def _lost_info(original: AlertMessage, copy: AlertMessage) -> list[str]:
    main, english = pick_blocks(original)
    copied_english = copy.info[1] if len(copy.info) > 1 else None
    counterpart = {id(main): copy.info[0], id(english): copied_english}
    lost: list[str] = []
    for index, info in enumerate(original.info):
        other = counterpart.get(id(info))
        if other is None:
            lost.append(f"info[{index}]")
            continue
        for name in Info.model_fields:
            if name == "areas":
                lost += _lost_areas(info.areas, other.areas)
            elif getattr(info, name) != getattr(other, name):
                lost.append(f"info.{name}")
    if english is None and len(copy.info) > 1:
        lost.append("info.language")  # the composed text grew an English block the alert lacks
    return lost


def _lost_areas(areas: list[Area], copied: list[Area]) -> list[str]:
    if areas == copied:
        return []
    lost = []
    if [p for a in areas for p in a.polygons] != [p for a in copied for p in a.polygons]:
        lost.append("info.areas.polygons")
    if [a.description for a in areas] != [a.description for a in copied]:
        lost.append("info.areas.description")
    for name in ("circles", "geocodes", "altitude", "ceiling"):
        if any(getattr(area, name) not in (None, []) for area in areas):
            lost.append(f"info.areas.{name}")
    return lost
