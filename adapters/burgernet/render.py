"""A canonical alert as one Burgernet action: the channel's view, in the feed's own shape.

The action is rebuilt from `AlertState.messages` (every message in order of `sent`, the closing one
included) and `AlertState.ended`. Messages that came through this channel restore their native
fields from the `burgernet:*` parameters and the end marker, so a Burgernet action renders back to
what was posted. Since AMBER and Vermist Kind Alerts are sent through Burgernet (since 2021),
the view also shows those from the `amber` channel, as actions with `amberAlert: true`; what
Burgernet cannot carry of them is named in `lost`.

Two states do not survive exactly: an action whose closing message arrived while the feed still
said `active: true` renders `active: false` (the hub holds it ended), and an active action's
`endTimestamp` renders as null (only an inactive action's end time is kept, see `parse.py`).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from adapters.burgernet.parse import CHANNEL, SENDER, end_identifier
from adapters.burgernet.schema import EPOCH, MAX_RADIUS_M
from domain.model import AlertMessage, Area, Circle, Info, MsgType
from domain.state import AlertState

AMBER_CHANNEL = "amber"
AMBER_EVENTS = frozenset({"AMBER Alert", "Vermist Kind Alert"})
CHILD_ALERT_CODE = ("SAME", "CAE")  # the US EAS event code for a Child Abduction Emergency
# messageType values the view uses for messages that did not come from Burgernet (a guess at
# Burgernet's own vocabulary, consistent with `closing.CLOSING_TYPES`).
MESSAGE_TYPES = {MsgType.ALERT: "START", MsgType.UPDATE: "UPDATE", MsgType.CANCEL: "END"}
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9._-]")
_HTTP = re.compile(r"https?://\S+")


def selects(state: AlertState) -> bool:
    """Burgernet's own actions, and AMBER / Vermist Kind Alerts with a circle from `amber`."""
    if state.origin.channel == CHANNEL:
        return True
    return state.origin.channel == AMBER_CHANNEL and any(
        _child_alert(info) and _circle_of(info) for m in state.messages for info in m.info
    )


def _child_alert(info: Info) -> bool:
    codes = {(c.name, c.value) for c in info.event_codes}
    return info.event in AMBER_EVENTS or CHILD_ALERT_CODE in codes


def _circle_of(info: Info) -> tuple[Area, Circle] | None:
    return next(((a, c) for a in info.areas for c in a.circles), None)


def _param(message: AlertMessage, name: str) -> str | None:
    return message.info[0].parameter(f"{CHANNEL}:{name}") if message.info else None


def _is_own(message: AlertMessage) -> bool:
    return message.sender == SENDER and _param(message, "id") is not None


def render_action(state: AlertState) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The action as the feed shows it, and the canonical fields it could not carry."""
    contents = [m for m in state.messages if m.info]
    if not contents:
        raise ValueError(f"alert {state.alert_id} has no content to render")
    own = [m for m in contents if _is_own(m)]
    head = _own_head(own[0]) if own else _foreign_head(state, contents)
    area = head.pop("area")
    action = {
        **head,
        "active": state.ended is None,
        "endTimestamp": _end_timestamp(state, head["id"], bool(own)),
        "area": area,
        "messages": [_own_entry(m) if _is_own(m) else _foreign_entry(m) for m in contents],
    }
    lost = sorted({name for m in contents if not _is_own(m) for name in lost_fields(m)})
    return action, tuple(lost)


def _own_head(message: AlertMessage) -> dict[str, Any]:
    info = message.info[0]
    _, circle = _circle_of(info) or _no_circle(message)
    return {
        "id": json.loads(_param(message, "id") or "null"),
        "municipality": _param(message, "municipality"),
        "actionType": _param(message, "actionType"),
        "amberAlert": _param(message, "amberAlert") == "true",
        "startTimestamp": int(_param(message, "startTimestamp") or 0),
        "area": _area(circle),
    }


def _no_circle(message: AlertMessage) -> tuple[Area, Circle]:
    raise ValueError(f"message {message.identifier} has no circle to show as a Burgernet area")


def _foreign_head(state: AlertState, contents: list[AlertMessage]) -> dict[str, Any]:
    found = [(info, c) for m in contents for info in m.info if (c := _circle_of(info))]
    if not found:
        raise ValueError(f"alert {state.alert_id} has no circle to show as a Burgernet area")
    info, (area, circle) = found[0]
    thread = state.thread or state.origin.identifier
    return {
        "id": f"{state.origin.channel}-" + _UNSAFE_ID.sub("-", thread.split(":", 1)[-1])[:90],
        "municipality": (area.description or info.event or "Nederland")[:1024],
        "actionType": (info.event or "AMBER Alert")[:1024],
        "amberAlert": state.origin.channel == AMBER_CHANNEL or _child_alert(info),
        "startTimestamp": epoch(state.origin.sent),
        "area": _area(circle),
    }


def _area(circle: Circle) -> dict[str, Any]:
    metres = min(round(circle.radius_km * 1000, 3), MAX_RADIUS_M)
    return {"lat": circle.lat, "lng": circle.lon, "radius": _number(metres)}


def _number(value: float) -> int | float:
    """Whole metres as a JSON integer, as Burgernet writes them."""
    return int(value) if value.is_integer() else value


def epoch(moment: datetime) -> int:
    """Epoch seconds, or milliseconds when the moment has a fraction of a second."""
    delta = moment - EPOCH
    if moment.microsecond == 0:
        return delta // timedelta(seconds=1)
    return delta // timedelta(milliseconds=1)


def _end_timestamp(state: AlertState, action_id: int | str, own: bool) -> int | None:
    if state.ended is None:
        return None
    if not own:
        return epoch(state.ended.at)
    prefix = end_identifier(action_id, None)
    markers = [
        m.identifier[len(prefix) :]
        for m in state.messages
        if m.sender == SENDER and not m.info and m.identifier.startswith(prefix)
    ]
    if not markers or not markers[-1]:
        return None
    return int(markers[-1].removeprefix("-"))


def _own_entry(message: AlertMessage) -> dict[str, Any]:
    info = message.info[0]
    modified, speech = _param(message, "lastModifiedTimestamp"), _param(message, "speechId")
    return {
        "title": info.headline,
        "body": info.description,
        "responseUrl": info.web,
        "messageType": _param(message, "messageType"),
        "lastModifiedTimestamp": None if modified is None else int(modified),
        "speechId": None if speech is None else json.loads(speech),
    }


def _foreign_info(message: AlertMessage) -> Info:
    """The Dutch info block if there is one (Burgernet speaks Dutch), else the first."""
    dutch = [i for i in message.info if i.language.lower().startswith("nl")]
    return (dutch or message.info)[0]


def _foreign_entry(message: AlertMessage) -> dict[str, Any]:
    info = _foreign_info(message)
    title = info.headline or info.event or "Bericht"
    web = info.web if info.web and _HTTP.fullmatch(info.web) else None
    return {
        "title": title,
        "body": info.description or title,
        "responseUrl": web,
        "messageType": MESSAGE_TYPES.get(message.msg_type),
        "lastModifiedTimestamp": epoch(message.sent),
        "speechId": None,
    }


_ALERT_LOST = ("source", "restriction", "addresses", "codes", "note", "incidents", "signature")
_INFO_CARRIED = frozenset({"event", "headline", "description", "web", "areas"})


def lost_fields(message: AlertMessage) -> set[str]:
    """Canonical fields of a message from another channel that a Burgernet action cannot carry."""
    lost = {name for name in _ALERT_LOST if getattr(message, name)}
    if len(message.info) > 1:
        lost.add("info (other languages)")
    info = _foreign_info(message)
    set_fields = info.model_dump(exclude_defaults=True)
    lost |= {f"info.{name}" for name in set_fields if name not in _INFO_CARRIED}
    if info.web and not _HTTP.fullmatch(info.web):
        lost.add("info.web")
    for area in info.areas:
        lost |= {f"area.{n}" for n in ("polygons", "geocodes", "altitude") if getattr(area, n)}
    if sum(len(a.circles) for a in info.areas) > 1:
        lost.add("area (circles after the first)")
    return lost
