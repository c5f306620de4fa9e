"""CAP 1.2 element names and their canonical (snake_case) field names, in schema order."""

from __future__ import annotations

from adapters.problems import Loc

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
MEDIA_TYPES = ("application/cap+xml", "application/xml", "text/xml")

ALERT_SCALARS = {
    "identifier": "identifier",
    "sender": "sender",
    "sent": "sent",
    "status": "status",
    "msgType": "msg_type",
    "source": "source",
    "scope": "scope",
    "restriction": "restriction",
    "addresses": "addresses",
    "note": "note",
}
INFO_SCALARS = {
    "language": "language",
    "event": "event",
    "urgency": "urgency",
    "severity": "severity",
    "certainty": "certainty",
    "audience": "audience",
    "effective": "effective",
    "onset": "onset",
    "expires": "expires",
    "senderName": "sender_name",
    "headline": "headline",
    "description": "description",
    "instruction": "instruction",
    "web": "web",
    "contact": "contact",
}
INFO_LISTS = {"category": "category", "responseType": "response_type"}
INFO_PAIRS = {"eventCode": "event_codes", "parameter": "parameters"}
RESOURCE_FIELDS = {
    "resourceDesc": "description",
    "mimeType": "mime_type",
    "size": "size",
    "uri": "uri",
    "derefUri": "deref_uri",
    "digest": "digest",
}
AREA_SCALARS = {"areaDesc": "description", "altitude": "altitude", "ceiling": "ceiling"}

# Canonical field -> CAP element, for error locations.
_CAP_NAME = {
    **{v: k for k, v in ALERT_SCALARS.items()},
    **{v: k for k, v in INFO_SCALARS.items()},
    **{v: k for k, v in INFO_LISTS.items()},
    **{v: k for k, v in INFO_PAIRS.items()},
    "resources": "resource",
    "areas": "area",
    "polygons": "polygon",
    "circles": "circle",
    "geocodes": "geocode",
    "codes": "code",
    "references": "references",
    "mime_type": "mimeType",
    "deref_uri": "derefUri",
    "name": "valueName",
}


def cap_location(loc: Loc) -> str:
    """A canonical pydantic location spelled as CAP elements: `alert/info[0]/area[1]/polygon[0]`."""
    out = "alert"
    parent = "alert"
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        name = _CAP_NAME.get(part, part)
        if part == "description" and parent in ("areas", "resources"):
            name = "areaDesc" if parent == "areas" else "resourceDesc"
        out += f"/{name}"
        parent = part
    return out
