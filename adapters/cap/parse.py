"""CAP 1.2 XML to a canonical `AlertMessage`, safely.

The XML is parsed with defusedxml: a DTD, an entity declaration or an external reference is refused
outright (no billion laughs, no XXE, no network). Structure is checked element by element so an
error names the element (`alert/info[0]/area[0]/polygon[0]`); values are then checked by the
canonical model. Element order is not enforced on input (real senders get it wrong and the order
carries no meaning); output is always in schema order.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from adapters.cap.names import (
    ALERT_SCALARS,
    AREA_SCALARS,
    CAP_NS,
    DSIG_NS,
    INFO_LISTS,
    INFO_PAIRS,
    INFO_SCALARS,
    RESOURCE_FIELDS,
    cap_location,
)
from adapters.cap.render import circle_text, number, polygon_text
from adapters.cap.signature import enveloped_signature
from adapters.problems import validated
from domain.errors import InvalidMessageError, MalformedMessageError
from domain.model import AlertMessage

MAX_BYTES = 8 * 1024 * 1024
_CAP_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")
_DATETIME_FIELDS = {"sent", "effective", "onset", "expires"}
_INCIDENT_TOKENS = re.compile(r'"([^"]*)"|(\S+)')
# Free text is kept exactly as written, whitespace included (a relay gives back what it got);
# codes, enumerations, times and numbers are tokens, and surrounding whitespace is no part of them.
_FREE_TEXT = frozenset(
    {"source", "restriction", "addresses", "code", "note", "event", "audience", "senderName"}
    | {"headline", "description", "instruction", "contact", "resourceDesc", "areaDesc", "value"}
)


def parse_cap(body: bytes) -> AlertMessage:
    """Parse one CAP 1.2 `alert` document; raises only `InvalidMessageError`."""
    root = _safe_root(body)
    data = _alert(root)
    if data.pop("_signed", False):
        data["signature"] = enveloped_signature(body)
    return validated(AlertMessage, data, cap_location)


def _safe_root(body: bytes) -> Element:
    if len(body) > MAX_BYTES:
        raise InvalidMessageError(f"document is {len(body)} bytes; the limit is {MAX_BYTES}")
    if not body.strip():
        raise MalformedMessageError("the body is empty", location="alert")
    try:
        root: Element = SafeET.fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise MalformedMessageError(
            f"refused: {type(exc).__name__} (no DTD, entity or external reference is allowed)",
            location="alert",
        ) from None
    except ParseError as exc:
        raise MalformedMessageError(f"malformed XML: {exc}", location="alert") from None
    if root.tag != f"{{{CAP_NS}}}alert":
        raise InvalidMessageError(
            f"root element is {_show(root.tag)}; expected alert in namespace {CAP_NS}",
            location="alert",
        )
    return root


def _show(tag: str) -> str:
    ns, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return f"{local} (namespace {ns or 'none'})"


def _local(child: Element, path: str) -> str:
    if child.tag.startswith(f"{{{CAP_NS}}}"):
        return child.tag[len(CAP_NS) + 2 :]
    raise InvalidMessageError(f"unexpected element {_show(child.tag)}", location=path)


def _text(element: Element, path: str, name: str) -> str:
    if len(element):
        raise InvalidMessageError("must hold text, not elements", location=path)
    text = element.text or ""
    if name not in _FREE_TEXT:
        text = text.strip()
    if name in _DATETIME_FIELDS and not _CAP_DATETIME.match(text):
        raise InvalidMessageError(
            f"date-time {text!r} must be YYYY-MM-DDThh:mm:ss with an offset like +01:00 "
            "(CAP 1.2: no 'Z', no naive times, no fractions)",
            location=path,
        )
    return text


_REPEATABLE = frozenset(
    {"code", "info", "category", "responseType", "eventCode", "parameter", "resource", "area"}
    | {"polygon", "circle", "geocode"}
)


class _Counter:
    """Numbers repeatable elements so each error names `info[1]`, not just `info`."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def path(self, base: str, name: str) -> str:
        if name not in _REPEATABLE:
            return f"{base}/{name}"
        index = self.seen.get(name, 0)
        self.seen[name] = index + 1
        return f"{base}/{name}[{index}]"


def _alert(root: Element) -> dict[str, Any]:
    data: dict[str, Any] = {"codes": [], "info": []}
    counter = _Counter()
    for child in root:
        if child.tag == f"{{{DSIG_NS}}}Signature":
            data["_signed"] = True
            continue
        name = _local(child, "alert")
        path = counter.path("alert", name)
        if name in ALERT_SCALARS:
            _set_once(data, ALERT_SCALARS[name], _text(child, path, name), path)
        elif name == "code":
            data["codes"].append(_text(child, path, name))
        elif name == "references":
            if text := _text(child, path, name):
                data["references"] = _references(text, path)
        elif name == "incidents":
            data["incidents"] = [
                a or b for a, b in _INCIDENT_TOKENS.findall(_text(child, path, name))
            ]
        elif name == "info":
            data["info"].append(_info(child, path))
        else:
            raise InvalidMessageError(f"unknown element {name}", location=path)
    return data


def _set_once(data: dict[str, Any], key: str, value: str, path: str) -> None:
    """Set a single-valued field; an empty (or blank) element counts as absent, as real senders
    emit them."""
    if key in data:
        raise InvalidMessageError("may appear only once", location=path)
    if value.strip():
        data[key] = value


def _references(text: str, path: str) -> list[dict[str, str]]:
    refs = []
    for triple in text.split():
        parts = triple.split(",")
        if len(parts) != 3 or not _CAP_DATETIME.match(parts[2]):
            raise InvalidMessageError(
                f"reference {triple!r} is not sender,identifier,sent (sent with an offset)",
                location=path,
            )
        refs.append({"sender": parts[0], "identifier": parts[1], "sent": parts[2]})
    return refs


def _info(element: Element, base: str) -> dict[str, Any]:
    data: dict[str, Any] = {key: [] for key in (*INFO_LISTS.values(), *INFO_PAIRS.values())}
    data |= {"resources": [], "areas": []}
    counter = _Counter()
    for child in element:
        name = _local(child, base)
        path = counter.path(base, name)
        if name in INFO_SCALARS:
            _set_once(data, INFO_SCALARS[name], _text(child, path, name), path)
        elif name in INFO_LISTS:
            data[INFO_LISTS[name]].append(_text(child, path, name))
        elif name in INFO_PAIRS:
            data[INFO_PAIRS[name]].append(_pair(child, path))
        elif name == "resource":
            data["resources"].append(_fields(child, path, RESOURCE_FIELDS))
        elif name == "area":
            data["areas"].append(_area(child, path))
        else:
            raise InvalidMessageError(f"unknown element {name}", location=path)
    return data


def _pair(element: Element, base: str) -> dict[str, str]:
    fields = _fields(element, base, {"valueName": "name", "value": "value"})
    for required in ("name", "value"):
        if required not in fields:
            missing = "valueName" if required == "name" else "value"
            raise InvalidMessageError(f"{missing} is required", location=f"{base}/{missing}")
    return fields


def _fields(element: Element, base: str, names: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for child in element:
        name = _local(child, base)
        path = f"{base}/{name}"
        if name not in names:
            raise InvalidMessageError(f"unknown element {name}", location=path)
        _set_once(data, names[name], _text(child, path, name), path)
    return data


def _area(element: Element, base: str) -> dict[str, Any]:
    data: dict[str, Any] = {"polygons": [], "circles": [], "geocodes": []}
    written: dict[str, list[str]] = {"polygons": [], "circles": []}
    counter = _Counter()
    for child in element:
        name = _local(child, base)
        path = counter.path(base, name)
        if name in AREA_SCALARS:
            _set_once(data, AREA_SCALARS[name], _text(child, path, name), path)
        elif name == "polygon":
            written["polygons"].append(text := _text(child, path, name))
            data["polygons"].append(_points(text, path))
        elif name == "circle":
            written["circles"].append(text := _text(child, path, name))
            data["circles"].append(_circle(text, path))
        elif name == "geocode":
            pair = _pair(child, path)
            data["geocodes"].append({"name": pair["name"], "value": pair["value"].strip()})
        else:
            raise InvalidMessageError(f"unknown element {name}", location=path)
    return data | _as_written(data, written)


def _as_written(data: dict[str, Any], written: dict[str, list[str]]) -> dict[str, Any]:
    """The element texts of an area's numbers, where the shortest form would change them."""
    kept: dict[str, Any] = {}
    if written["polygons"] != [polygon_text(p) for p in data["polygons"]]:
        kept["written_polygons"] = written["polygons"]
    circles = [circle_text(c["lat"], c["lon"], c["radius_km"]) for c in data["circles"]]
    if written["circles"] != circles:
        kept["written_circles"] = written["circles"]
    for name in ("altitude", "ceiling"):
        text = data.get(name)
        if text is not None and _shortest(text) != text:
            kept[f"written_{name}"] = text
    return kept


def _shortest(text: str) -> str | None:
    try:
        return number(float(text))
    except ValueError:
        return None  # not a number: the model says so, naming the element


def _points(text: str, path: str) -> list[tuple[float, float]]:
    return [_point(pair, path) for pair in text.split()]


def _point(pair: str, path: str) -> tuple[float, float]:
    lat, comma, lon = pair.partition(",")
    try:
        if not comma:
            raise ValueError
        return float(lat), float(lon)
    except ValueError:
        raise InvalidMessageError(f"{pair!r} is not a lat,lon pair", location=path) from None


def _circle(text: str, path: str) -> dict[str, float]:
    parts = text.split()
    if len(parts) != 2:
        raise InvalidMessageError(f"circle {text!r} must be 'lat,lon radius'", location=path)
    lat, lon = _point(parts[0], path)
    try:
        radius = float(parts[1])
    except ValueError:
        raise InvalidMessageError(f"radius {parts[1]!r} is not a number", location=path) from None
    return {"lat": lat, "lon": lon, "radius_km": radius}
