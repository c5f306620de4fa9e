"""A canonical alert as a BE-Alert feed item: the `bealert` channel's view.

An alert that came through this channel renders back to the item that was posted (its identity
from the `bealert-<alert_id>-r<revision>` identifier, `created_at` from the reference to revision
1, the media from the `bealert:channels` parameter), so its body parses to the same message.
An alert from another channel gets a hub-made `alert_id` (`hub-<alert uuid>`), its position in the
alert's history as revision, the Dutch, French, German and English blocks as messages (a
block's instruction appended to its text: a warning must not lose what to do), the first polygon
and every `BE-NIS` geocode as its area. `lost` is measured: the body is parsed back and every
canonical field that did not survive is named (`info[0].instruction`, `info[2]`).

`native` shows `status: "ended"` once the alert has ended, however it ended; `body` is the current
message alone, so posting it never invents a message the partner did not send.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, get_args

from adapters.base import Rendering
from alerthub_bealert.parse import CHANNEL, NIS, P_CHANNELS, SENDER, parse_item
from alerthub_bealert.schema import LANGUAGES, MEDIA_TYPES, Medium
from domain.errors import InvalidMessageError
from domain.model import AlertMessage, Info, MsgType, Status
from domain.state import AlertState

_OWN = re.compile(r"bealert-(?P<id>[A-Za-z0-9][A-Za-z0-9._-]{0,63})-r(?P<revision>[0-9]{1,7})")
_NIS_CODE = re.compile(r"[1-9][0-9]{4}")
_URL = re.compile(r"https?://\S{1,4000}")
_MEDIA = frozenset(get_args(Medium))
_TITLE, _BODY = 1024, 65_536


def render_item(state: AlertState) -> Rendering:
    item = item_of(state)
    body = json.dumps(item, ensure_ascii=False).encode("utf-8")
    view = {**item, "status": "ended"} if state.ended is not None else item
    lost = lost_fields(state.current, body)
    return Rendering(native=view, body=body, media_type=MEDIA_TYPES[0], lost=lost)


def is_belgian(state: AlertState) -> bool:
    """Whether any info block targets a Belgian municipality by its NIS code."""
    return any(
        code.name == NIS and _NIS_CODE.fullmatch(code.value)
        for info in state.current.info
        for area in info.areas
        for code in area.geocodes
    )


def item_of(state: AlertState) -> dict[str, Any]:
    """The current message as one feed item; absent values are left out."""
    current = state.current
    alert_id, revision, created = _identity(state)
    main = current.info[0] if current.info else None
    item = {
        "alert_id": alert_id,
        "revision": revision,
        "created_at": _moment(created),
        "issued_at": _moment(current.sent),
        "status": _status(current),
        "authority": _fits(main.sender_name, _TITLE) if main else None,
        "channels": _channels(main),
        "area": _area(current),
        "messages": _messages(current),
        "more_info": main.web if main and main.web and _URL.fullmatch(main.web) else None,
        "expires_at": _moment(main.expires) if main and main.expires else None,
    }
    return {key: value for key, value in item.items() if value not in (None, [])}


def _identity(state: AlertState) -> tuple[str, int, datetime]:
    """alert_id, revision, created_at: restored for this channel's messages, made for others."""
    current = state.current
    own = _OWN.fullmatch(current.identifier) if current.sender == SENDER else None
    if own and state.thread == f"{CHANNEL}:{own['id']}":
        created = current.references[0].sent if current.references else current.sent
        return own["id"], int(own["revision"]), created
    position = next(i for i, m in enumerate(state.messages, 1) if m.key == current.key)
    ends = current.msg_type is MsgType.CANCEL
    return f"hub-{state.alert_id}", max(position, 2) if ends else position, state.messages[0].sent


def _moment(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def _status(message: AlertMessage) -> str:
    if message.msg_type is MsgType.CANCEL:
        return "ended"
    return "active" if message.status is Status.ACTUAL else "test"


def _fits(text: str | None, limit: int) -> str | None:
    """A text the feed can carry: non-blank, cut (marked with …) at the field's limit."""
    if text is None or not text.strip():
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _channels(info: Info | None) -> list[str]:
    named = (info.parameter(P_CHANNELS) or "").split() if info else []
    return [m for i, m in enumerate(named) if m in _MEDIA and m not in named[:i]]


def _area(message: AlertMessage) -> dict[str, Any]:
    areas = next((info.areas for info in message.info if info.areas), [])
    codes = [g.value for a in areas for g in a.geocodes if g.name == NIS]
    polygon = next((p for a in areas for p in a.polygons), None)
    area = {
        "name": _fits(areas[0].description if areas else None, _TITLE) or "BE-Alert",
        "municipalities": [c for c in dict.fromkeys(codes) if _NIS_CODE.fullmatch(c)][:600],
        "polygon": [list(point) for point in polygon] if polygon else None,
    }
    return {key: value for key, value in area.items() if value not in (None, [])}


def _messages(message: AlertMessage) -> dict[str, dict[str, str]]:
    """One message per national language (and English), first block of each language wins."""
    texts: dict[str, dict[str, str]] = {}
    for info in message.info:
        language = info.language.split("-")[0].lower()
        if language in LANGUAGES and language not in texts:
            texts[language] = _text(info)
    if not texts and message.info:
        texts["en"] = _text(message.info[0])
    if not texts:
        texts["en"] = {
            "title": "BE-Alert",
            "body": _fits(message.note, _BODY) or message.identifier,
        }
    return {language: texts[language] for language in LANGUAGES if language in texts}


def _text(info: Info) -> dict[str, str]:
    title = _fits(info.headline, _TITLE) or _fits(info.event, _TITLE) or "BE-Alert"
    parts = [part for part in (info.description, info.instruction) if part and part.strip()]
    return {"title": title, "body": _fits("\n\n".join(parts), _BODY) or title}


def lost_fields(original: AlertMessage, body: bytes) -> tuple[str, ...]:
    """Canonical fields of `original` that its BE-Alert body does not bring back."""
    try:
        copy = parse_item(body)[0].message
    except InvalidMessageError:
        return tuple(name for name, value in original if value not in (None, []))
    lost = [
        name
        for name in AlertMessage.model_fields
        if name != "info" and getattr(original, name) != getattr(copy, name)
    ]
    unused = list(copy.info)
    for index, info in enumerate(original.info):
        language = info.language.split("-")[0].lower()
        other = next((b for b in unused if b.language.split("-")[0].lower() == language), None)
        if other is None:
            lost.append(f"info[{index}]")
            continue
        unused.remove(other)
        lost += [
            f"info[{index}].{name}"
            for name in Info.model_fields
            if getattr(info, name) != getattr(other, name)
        ]
    return tuple(lost)
