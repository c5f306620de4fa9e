"""A canonical `AlertMessage` as CAP 1.2 XML, in schema order, valid against the CAP 1.2 XSD."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from xml.etree.ElementTree import Element, SubElement, tostring

from adapters.cap.names import (
    ALERT_SCALARS,
    AREA_SCALARS,
    CAP_NS,
    INFO_SCALARS,
    RESOURCE_FIELDS,
)
from domain.model import AlertMessage, Area, Info, NamedValue, Resource
from domain.model import cap_datetime as _cap_form

_ALERT_HEAD = ("identifier", "sender", "sent", "status", "msgType", "source", "scope")
_ALERT_TAIL = ("restriction", "addresses")
_INFO_HEAD = ("language",)
_INFO_MIDDLE = ("event",)
_INFO_AFTER_RESPONSE = ("urgency", "severity", "certainty", "audience")
_INFO_AFTER_CODES = (
    "effective",
    "onset",
    "expires",
    "senderName",
    "headline",
    "description",
    "instruction",
    "web",
    "contact",
)


def render_cap(message: AlertMessage) -> str:
    """The message as a CAP 1.2 document (UTF-8, with an XML declaration)."""
    root = Element(f"{{{CAP_NS}}}alert")
    _scalars(root, message, (*_ALERT_HEAD, *_ALERT_TAIL), ALERT_SCALARS)
    for code in message.codes:
        _sub(root, "code", code)
    _scalars(root, message, ("note",), ALERT_SCALARS)
    if message.references:
        refs = " ".join(
            f"{r.sender},{r.identifier},{cap_datetime(r.sent)}" for r in message.references
        )
        _sub(root, "references", refs)
    if message.incidents:
        _sub(root, "incidents", " ".join(_quoted(i) for i in message.incidents))
    for info in message.info:
        _info(SubElement(root, f"{{{CAP_NS}}}info"), info)
    xml = tostring(root, encoding="unicode", default_namespace=CAP_NS)
    if message.signature:
        xml = xml[: -len("</alert>")] + message.signature + "</alert>"
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + xml


def cap_datetime(value: datetime) -> str:
    """CAP's date-time form: seconds precision, the sender's offset, UTC as `-00:00`."""
    return _cap_form(value.replace(microsecond=0))


def number(value: float) -> str:
    """The shortest text of a number (`52.53`, `0`): used when the sender's own text is unknown."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def polygon_text(points: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{number(lat)},{number(lon)}" for lat, lon in points)


def circle_text(lat: float, lon: float, radius_km: float) -> str:
    return f"{number(lat)},{number(lon)} {number(radius_km)}"


def _quoted(incident: str) -> str:
    return f'"{incident}"' if any(c.isspace() for c in incident) else incident


def _sub(parent: Element, name: str, text: str) -> None:
    SubElement(parent, f"{{{CAP_NS}}}{name}").text = text


def _scalars(parent: Element, model: object, names: Iterable[str], fields: dict[str, str]) -> None:
    for name in names:
        value = getattr(model, fields[name])
        if value is not None:
            _sub(parent, name, _format(value))


def _format(value: object) -> str:
    if isinstance(value, datetime):
        return cap_datetime(value)
    if isinstance(value, float):
        return number(value)
    return str(value)


def _info(element: Element, info: Info) -> None:
    _scalars(element, info, _INFO_HEAD, INFO_SCALARS)
    for category in info.category:
        _sub(element, "category", category.value)
    _scalars(element, info, _INFO_MIDDLE, INFO_SCALARS)
    for response in info.response_type:
        _sub(element, "responseType", response.value)
    _scalars(element, info, _INFO_AFTER_RESPONSE, INFO_SCALARS)
    _pairs(element, "eventCode", info.event_codes)
    _scalars(element, info, _INFO_AFTER_CODES, INFO_SCALARS)
    _pairs(element, "parameter", info.parameters)
    for resource in info.resources:
        _resource(SubElement(element, f"{{{CAP_NS}}}resource"), resource)
    for area in info.areas:
        _area(SubElement(element, f"{{{CAP_NS}}}area"), area)


def _pairs(parent: Element, name: str, pairs: Iterable[NamedValue]) -> None:
    for pair in pairs:
        element = SubElement(parent, f"{{{CAP_NS}}}{name}")
        _sub(element, "valueName", pair.name)
        _sub(element, "value", pair.value)


def _resource(element: Element, resource: Resource) -> None:
    _scalars(element, resource, tuple(RESOURCE_FIELDS), RESOURCE_FIELDS)


def _area(element: Element, area: Area) -> None:
    """The area with its numbers as the sender wrote them, where the model kept that text."""
    _scalars(element, area, ("areaDesc",), AREA_SCALARS)
    polygons = area.written_polygons or [polygon_text(p) for p in area.polygons]
    for text in polygons:
        _sub(element, "polygon", text)
    circles = area.written_circles or [circle_text(c.lat, c.lon, c.radius_km) for c in area.circles]
    for text in circles:
        _sub(element, "circle", text)
    _pairs(element, "geocode", area.geocodes)
    for name, written in (("altitude", area.written_altitude), ("ceiling", area.written_ceiling)):
        value = getattr(area, name)
        if value is not None:
            _sub(element, name, written or number(value))
