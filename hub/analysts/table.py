"""Events as table rows for spreadsheets, `csv` and pandas: one row per event and info block.

An alert may speak several languages (one CAP info block each); a row per block keeps every
language's headline, description and instruction in plain columns rather than packed in one
cell. An event without info blocks (an end) still has its one row, `info_index` empty. The area
is WKT, longitude first as WKT wants (CAP writes latitude first): a MULTIPOLYGON of the block's
polygons and its circles drawn as 32-sided polygons (WKT has no circle); the circles are also in
`circles` exactly as CAP wrote them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

CIRCLE_SIDES = 32
KM_PER_DEGREE = 111.32

CSV_COLUMNS = (
    "event_id", "alert_id", "version", "event_type", "recorded_at", "occurred_at", "channel",
    "sender", "identifier", "sent", "status", "msg_type", "scope", "references", "incidents",
    "thread", "outcome", "reason", "info_count", "info_index", "language", "event", "urgency",
    "severity", "certainty", "headline", "description", "instruction", "effective", "onset",
    "expires", "areas", "geocodes", "circles", "area_wkt", "publisher", "auth_method",
    "signature",
)  # fmt: skip


def table_rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of one event (a plain JSON envelope record): one per info block, at least one."""
    payload, message = body["payload"], body["payload"]["message"]
    infos = message.get("info") or []
    head = {
        **{k: body[k] for k in ("event_id", "alert_id", "version", "event_type")},
        **{k: body[k] for k in ("recorded_at", "occurred_at")},
        "channel": payload["channel"],
        **{k: message.get(k) for k in ("sender", "identifier", "sent", "status", "msg_type")},
        "scope": message.get("scope"),
        "references": " ".join(f"{r['sender']}|{r['identifier']}" for r in message["references"]),
        "incidents": " ".join(message.get("incidents") or []),
        **{k: payload.get(k) for k in ("thread", "outcome", "reason")},
        "info_count": len(infos),
        **_provenance(body.get("provenance")),
    }
    if not infos:
        return [head | {"info_index": None}]
    return [head | {"info_index": i} | _info_columns(info) for i, info in enumerate(infos)]


def _provenance(provenance: dict[str, Any] | None) -> dict[str, Any]:
    """Who published the event's message (empty for events recorded before provenance)."""
    if not provenance:
        return {"publisher": None, "auth_method": None, "signature": None}
    return {
        "publisher": provenance["partner"],
        "auth_method": provenance["auth_method"],
        "signature": provenance["signature"]["verdict"],
    }


def _info_columns(info: dict[str, Any]) -> dict[str, Any]:
    areas = info.get("areas") or []
    texts = ("language", "event", "urgency", "severity", "certainty", "headline", "description")
    times = ("instruction", "effective", "onset", "expires")
    return {
        **{k: info.get(k) for k in (*texts, *times)},
        "areas": "; ".join(a["description"] for a in areas),
        "geocodes": " ".join(
            f"{g['name']}={g['value']}" for a in areas for g in a.get("geocodes") or []
        ),
        "circles": "; ".join(
            f"{c['lat']},{c['lon']} {c['radius_km']}" for a in areas for c in a.get("circles") or []
        ),
        "area_wkt": area_wkt(areas),
    }


def area_wkt(areas: Iterable[dict[str, Any]]) -> str | None:
    """The areas' polygons and circles as one WKT MULTIPOLYGON (lon lat), None when none.

    Areas as the stream's envelope record has them: polygons of `{"lat", "lon"}` points.
    """
    rings = [
        [(point["lon"], point["lat"]) for point in polygon]
        for a in areas
        for polygon in a.get("polygons") or []
    ]
    rings += [
        circle_ring(c["lat"], c["lon"], c["radius_km"])
        for a in areas
        for c in a.get("circles") or []
    ]
    if not rings:
        return None
    polygons = ", ".join(
        "((" + ", ".join(f"{_n(x)} {_n(y)}" for x, y in ring) + "))" for ring in rings
    )
    return f"MULTIPOLYGON ({polygons})"


def circle_ring(lat: float, lon: float, radius_km: float) -> list[tuple[float, float]]:
    """A closed ring of `CIRCLE_SIDES` points (lon, lat) around a CAP circle."""
    dlat = radius_km / KM_PER_DEGREE
    dlon = radius_km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 1e-6))
    ring = [
        (
            round(lon + dlon * math.cos(2 * math.pi * k / CIRCLE_SIDES), 6),
            round(lat + dlat * math.sin(2 * math.pi * k / CIRCLE_SIDES), 6),
        )
        for k in range(CIRCLE_SIDES)
    ]
    return [*ring, ring[0]]


def _n(value: float) -> str:
    return repr(float(value)).removesuffix(".0")
