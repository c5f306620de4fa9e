"""CAP through Atom: the feed format CAP aggregators read, written and followed.

Writing: one Atom 1.0 entry per alert, `updated` when the alert last changed, a link to the
alert's CAP 1.2 document (`rel="alternate"`, `type="application/cap+xml"`), and the alert's
headline, area and times as `cap:` elements beside the Atom ones, the way public CAP feeds
(national weather services, the WMO register of alerting authorities) publish them.

Following: `parse_feed` reads any such feed back into entries (id, updated, CAP link), so a hub
can take CAP in from another hub's or authority's feed. Parsed with defusedxml like CAP itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin
from xml.etree.ElementTree import Element, SubElement, tostring

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from adapters.cap.render import cap_datetime
from domain.errors import MalformedMessageError
from domain.model import Info
from domain.state import AlertState

ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_MEDIA_TYPE = "application/atom+xml"
CAP_MEDIA_TYPE = "application/cap+xml"
_CAP_TYPES = frozenset({CAP_MEDIA_TYPE, "application/xml", "text/xml"})


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a followed feed: what identifies it, when it changed, where its CAP is."""

    id: str
    updated: str
    cap_url: str


def atom_time(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, the form Atom readers parse most reliably."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_feed(
    *,
    feed_id: str,
    title: str,
    self_url: str,
    updated: datetime,
    alerts: Iterable[AlertState],
    cap_url: Callable[[AlertState], str],
) -> bytes:
    """An Atom 1.0 feed of `alerts`, each linking to its CAP document at `cap_url(alert)`."""
    # Atom as the default namespace and CAP as `cap:`, written literally: the readable form
    # feed readers and people expect (ElementTree would otherwise invent ns0/ns1 prefixes).
    feed = Element("feed", {"xmlns": ATOM_NS, "xmlns:cap": CAP_NS})
    _atom(feed, "id", feed_id)
    _atom(feed, "title", title)
    _atom(feed, "updated", atom_time(updated))
    SubElement(feed, "link", rel="self", href=self_url, type=ATOM_MEDIA_TYPE)
    _atom(SubElement(feed, "author"), "name", "AlertHub")
    _atom(feed, "generator", "AlertHub")
    for alert in alerts:
        _entry(SubElement(feed, "entry"), alert, cap_url(alert))
    body = tostring(feed, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()


def _entry(entry: Element, alert: AlertState, cap_url: str) -> None:
    message = alert.current
    info: Info | None = message.info[0] if message.info else None
    _atom(entry, "id", f"urn:uuid:{alert.alert_id}")
    _atom(entry, "title", _title(alert, info))
    _atom(entry, "updated", atom_time(alert.updated_at))
    _atom(entry, "published", atom_time(message.sent))
    _atom(SubElement(entry, "author"), "name", message.sender)
    SubElement(entry, "link", rel="alternate", href=cap_url, type=CAP_MEDIA_TYPE)
    if info is not None and info.description:
        _atom(entry, "summary", info.description)
    _cap(entry, "identifier", message.identifier)
    _cap(entry, "sent", cap_datetime(message.sent))
    _cap(entry, "status", message.status.value)
    _cap(entry, "msgType", message.msg_type.value)
    if info is None:
        return
    _cap(entry, "event", info.event)
    for name in ("urgency", "severity", "certainty"):
        _cap(entry, name, getattr(info, name).value)
    for name in ("effective", "onset", "expires"):
        if (moment := getattr(info, name)) is not None:
            _cap(entry, name, cap_datetime(moment))
    areas = "; ".join(area.description for area in info.areas)
    if areas:
        _cap(entry, "areaDesc", areas)


def _title(alert: AlertState, info: Info | None) -> str:
    if info is not None and (info.headline or info.event):
        return info.headline or info.event
    return f"{alert.current.sender} {alert.current.identifier}"


def _atom(parent: Element, name: str, text: str) -> None:
    SubElement(parent, name).text = text


def _cap(parent: Element, name: str, text: str) -> None:
    SubElement(parent, f"cap:{name}").text = text


def is_feed(body: bytes) -> bool:
    """Whether a body looks like an Atom feed (its root element), whatever its Content-Type."""
    head = body[:512].lstrip()
    return b"<feed" in head and ATOM_NS.encode() in head


def parse_feed(body: bytes, base_url: str) -> list[FeedEntry]:
    """The entries of an Atom feed that link to a CAP document, links made absolute.

    An entry without a CAP link is skipped (a feed may carry other things); a body that is not
    Atom XML raises `MalformedMessageError` naming what is wrong.
    """
    try:
        root: Element = SafeET.fromstring(body, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException) as exc:
        raise MalformedMessageError(f"feed is not well-formed XML: {exc}") from None
    if root.tag != f"{{{ATOM_NS}}}feed":
        raise MalformedMessageError(f"feed root is {root.tag!r}, expected an Atom feed")
    entries = []
    for entry in root.iterfind(f"{{{ATOM_NS}}}entry"):
        entry_id = entry.findtext(f"{{{ATOM_NS}}}id", "").strip()
        updated = entry.findtext(f"{{{ATOM_NS}}}updated", "").strip()
        link = _cap_link(entry)
        if entry_id and link:
            entries.append(FeedEntry(entry_id, updated, urljoin(base_url, link)))
    return entries


def _cap_link(entry: Element) -> str | None:
    """The entry's CAP link: typed as CAP, else the alternate link (many feeds omit the type)."""
    links = entry.findall(f"{{{ATOM_NS}}}link")
    for link in links:
        if link.get("type", "").split(";")[0].strip() in _CAP_TYPES and link.get("href"):
            return link.get("href")
    for link in links:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href")
    return None
