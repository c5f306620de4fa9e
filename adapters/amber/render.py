"""A canonical alert in the AMBER Alert feed's own shape: the `amber` channel's view.

`native` is the item the feed would list for the alert now: its current content, and Type
`Cancel` once the alert has ended (however it ended). `body` is the wire form of the current
message: one feed item, never an array, because an array is a whole feed and posting it would end
every other alert (a snapshot). It never invents an item the feed did not send (the hub's own
"vanished" ending is shown in `native` only).

Alerts from other channels get a feed identity of their own: `AlertId` is the decimal form of the
hub's alert id (some 38 digits, unlike the police's short numbers), `AlertLevel` follows the
severity (Extreme: national 10, else regional 5), and `lost` names what the item cannot carry.
`lost` is measured, not listed by hand: the item is parsed back and every canonical value that did
not survive is named (`info[0].instruction`, `info[1]`, `info[0].parameters[burgernet:x]`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from adapters.amber.parse import LEVELS, PHOTO, ROOT, message_of
from adapters.amber.schema import (
    MEDIA_TYPE,
    P_CIRCLE,
    P_CIRCLE_KM,
    P_KIND,
    P_LEVEL,
    P_SCOPE,
    P_SENT,
    SENDER,
    AmberItem,
    NativeCircle,
    check_circle_km,
    circle_text,
    is_absolute_url,
    parse_circle,
    seconds_text,
    sent_instant,
)
from adapters.base import Rendering
from domain.model import AlertMessage, Circle, Info, MsgType, Severity
from domain.state import AlertState

_OWN = re.compile(r"amber-[0-9]+(?:-[0-9]+)?")
_THREAD = re.compile(r"amber:([0-9]{1,40})")
_TYPES = {MsgType.ALERT: "Alert", MsgType.UPDATE: "Update", MsgType.CANCEL: "Cancel"}
_PAIRS = ("parameters", "event_codes", "geocodes")  # name/value lists, compared by pair
_NESTED = ("info", "areas", "resources")  # lists compared element by element


def render_amber(alert: AlertState) -> Rendering:
    alert_id = feed_alert_id(alert)
    current = item_of(alert.current, alert_id)
    view = current
    if alert.ended is not None and current["Type"] != "Cancel":
        view = {**current, "Type": "Cancel", "Sent": seconds_text(alert.ended.at)}
    return Rendering(
        native=view,
        body=json.dumps(current, ensure_ascii=False).encode(),
        media_type=MEDIA_TYPE,
        lost=lost_fields(alert.current, current),
    )


def feed_alert_id(alert: AlertState) -> str:
    """The feed's AlertId from the thread; a hub-made one for alerts of other channels."""
    found = _THREAD.fullmatch(alert.thread or "")
    return found.group(1) if found else str(alert.alert_id.int)


def _is_own(message: AlertMessage) -> bool:
    return message.sender == SENDER and _OWN.fullmatch(message.identifier) is not None


def main_info(message: AlertMessage) -> Info | None:
    """The Dutch info block if there is one (the feed is Dutch), else the first."""
    dutch = (i for i in message.info if i.language.lower().startswith("nl"))
    return next(dutch, message.info[0] if message.info else None)


def item_of(message: AlertMessage, alert_id: str) -> dict[str, Any]:
    """One message as a feed item, keys in the feed's order, absent values left out."""
    info = main_info(message)
    item = {
        "AlertId": alert_id,
        "Sent": _sent(message, info),
        "Type": _TYPES.get(message.msg_type, "Update"),
        "State": message.status.value,
        "AlertLevel": _level(info),
        "Scope": _param(info, P_SCOPE),
        "Message": _message_part(info),
        "Area": _area_part(info),
    }
    return _compact(item)


def _compact(part: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in part.items() if value}


def _param(info: Info | None, name: str) -> str | None:
    return info.parameter(name) if info else None


def _sent(message: AlertMessage, info: Info | None) -> str:
    """The original text (milliseconds, say) while it still says this message's `sent`."""
    original = _param(info, P_SENT)
    if original is not None and _agrees(lambda: sent_instant(original) == message.sent):
        return original
    return seconds_text(message.sent)


def _level(info: Info | None) -> str:
    level = _param(info, P_LEVEL)
    if level in LEVELS:
        return level
    return "10" if info is not None and info.severity is Severity.EXTREME else "5"


def _message_part(info: Info | None) -> dict[str, Any] | None:
    if info is None:
        return None
    part = {
        "Title": info.headline,
        "Description": info.description,
        "DescriptionExt": info.parameter(P_KIND),
        "Readmore_URL": info.web if info.web and is_absolute_url(info.web) else None,
        "Media": _compact({"Image": _image(info)}),
    }
    return _compact(part) or None


def _image(info: Info) -> str | None:
    for resource in info.resources:
        if resource.uri and (
            resource.mime_type.startswith("image/") or resource.description == PHOTO
        ):
            return resource.uri
    return None


def _area_part(info: Info | None) -> dict[str, Any] | None:
    if info is None:
        return None
    area = info.areas[0] if info.areas else None
    circle = area.circles[0] if area and area.circles else None
    part = {
        "Description": area.description if area else None,
        "Circle": _circle(info, circle),
        "CircleKM": _circle_km(info, circle),
    }
    return _compact(part) or None


def _circle(info: Info, circle: Circle | None) -> str | None:
    if circle is None:
        return None
    original = info.parameter(P_CIRCLE)
    if original is not None and _agrees(lambda: _same(parse_circle(original), circle)):
        return original
    return circle_text(circle.lat, circle.lon, circle.radius_km)


def _same(native: NativeCircle, circle: Circle) -> bool:
    return (native.lat, native.lon, native.radius_km) == (circle.lat, circle.lon, circle.radius_km)


def _circle_km(info: Info, circle: Circle | None) -> str | None:
    km = info.parameter(P_CIRCLE_KM)
    native = NativeCircle(circle.lat, circle.lon, circle.radius_km * 1000) if circle else None
    if km is None or not _agrees(lambda: check_circle_km(km, native)):
        return None
    return km


def _agrees(check: Callable[[], object]) -> bool:
    """A carried original is used only while it still says what the canonical value says."""
    try:
        return bool(check())
    except ValueError:
        return False


def lost_fields(message: AlertMessage, item: dict[str, Any]) -> tuple[str, ...]:
    """The canonical values of `message` that `item`, parsed back, no longer holds."""
    back = message_of(AmberItem.model_validate(item), ROOT).model_dump(exclude_none=True)
    original = message.model_dump(exclude_none=True)
    infos, main = original.pop("info", []), main_info(message)
    back_info = back.pop("info")[0]
    lost = list(_missing(original, back, ""))
    for index, info in enumerate(infos):
        if main is not None and message.info[index] is main:
            lost += _missing(info, back_info, f"info[{index}]")
        else:
            lost.append(f"info[{index}]")
    return tuple(lost)


def _missing(value: Any, back: Any, path: str) -> Iterator[str]:
    key = path.rsplit(".", 1)[-1]
    if value is None or (isinstance(value, str | list | dict) and not value):
        return
    if isinstance(value, dict):
        fields = back if isinstance(back, dict) else {}
        for name, inner in value.items():
            yield from _missing(inner, fields.get(name), f"{path}.{name}" if path else name)
    elif key in _PAIRS:
        kept = {(pair["name"], pair["value"]) for pair in back or []}
        yield from (f"{path}[{p['name']}]" for p in value if (p["name"], p["value"]) not in kept)
    elif key in _NESTED:
        items = back if isinstance(back, list) else []
        for index, inner in enumerate(value):
            yield from _missing(
                inner, items[index] if index < len(items) else None, f"{path}[{index}]"
            )
    elif value != back:
        yield path
