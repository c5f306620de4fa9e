"""Generate `geography/nl-2025.json`: the Netherlands, its provinces, safety regions and
municipalities, simplified, from the CBS/PDOK boundaries in `devtools/nl_geography_source/`.

Run `python -m devtools.nl_geography` after replacing the source files (a new year's municipal
map, say) and commit the result; the hub reads only the generated file and never fetches
anything at run time. What the sources are and under which licence: `SOURCE.md` beside them.

The sources are TopoJSON: shared borders are stored once as arcs of delta-encoded integers on a
quantised grid. Decoding is the TopoJSON rule (cumulative sums, then scale and translate); the
country outline is the union of the four `landsdeel` (country part) polygons. Each shape is then
simplified with shapely at `TOLERANCE` degrees, keeping its topology, and written as GeoJSON
geometry (longitude, latitude) rounded to `DIGITS` decimals, which is below the grid's step.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from shapely import MultiPolygon, Polygon, make_valid, union_all
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

SOURCE = Path(__file__).parent / "nl_geography_source"
TARGET = Path(__file__).parents[1] / "geography" / "nl-2025.json"
TOLERANCE = 0.0005  # degrees: about 35-55 m, half the sources' own grid step
DIGITS = 5
LAYERS = {  # source file -> kind of place
    "provincie_2025.topojson": "province",
    "veiligheidsregio_2025.topojson": "safety_region",
    "gemeente_2025.topojson": "municipality",
}
Arc = list[tuple[float, float]]


def decode_arcs(topology: dict[str, Any]) -> list[Arc]:
    """Absolute lon/lat arcs of a quantised topology (delta-encoded integer positions)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list[Arc], indexes: Iterable[int]) -> Arc:
    """One ring from arc indexes; a negative index `~i` is arc i reversed (TopoJSON)."""
    points: Arc = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])  # consecutive arcs share an end point
    return points


def shape(arcs: list[Arc], geometry: dict[str, Any]) -> BaseGeometry:
    polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    parts = [
        Polygon(ring(arcs, rings[0]), [ring(arcs, r) for r in rings[1:]]) for rings in polygons
    ]
    return polygonal(MultiPolygon(parts) if len(parts) > 1 else parts[0])


def layer(path: Path) -> list[tuple[dict[str, Any], BaseGeometry]]:
    topology = json.loads(path.read_text())
    arcs = decode_arcs(topology)
    (collection,) = topology["objects"].values()
    return [(g["properties"], shape(arcs, g)) for g in collection["geometries"]]


def rounded(geometry: BaseGeometry) -> dict[str, Any]:
    """GeoJSON geometry with coordinates rounded to DIGITS decimals."""

    def walk(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, DIGITS)
        return [walk(v) for v in value] if isinstance(value, list | tuple) else value

    document = mapping(geometry)
    return {"type": document["type"], "coordinates": walk(document["coordinates"])}


def simplified(geometry: BaseGeometry) -> BaseGeometry:
    return polygonal(geometry.simplify(TOLERANCE, preserve_topology=True))


def polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """A valid (multi)polygon: repairing may leave stray lines or points, which are dropped."""
    valid = make_valid(geometry)
    if isinstance(valid, Polygon | MultiPolygon):
        return valid
    return union_all(
        [g for g in getattr(valid, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    )


def build(source: Path = SOURCE) -> dict[str, Any]:
    places = [
        {
            "code": "NL",
            "name": "Nederland",
            "kind": "country",
            "geometry": rounded(_country(source)),
        }
    ]
    for file, kind in LAYERS.items():
        for properties, geometry in sorted(layer(source / file), key=lambda p: p[0]["statcode"]):
            places.append(
                {
                    "code": properties["statcode"],
                    "name": properties["statnaam"],
                    "kind": kind,
                    "geometry": rounded(simplified(geometry)),
                }
            )
    return {
        "source": "CBS gebiedsindelingen 2025 via PDOK (generalised), TopoJSON of cartomap/nl",
        "licence": "CC BY 4.0, CBS / PDOK",
        "generated_by": "python -m devtools.nl_geography",
        "tolerance_degrees": TOLERANCE,
        "places": places,
    }


def _country(source: Path) -> BaseGeometry:
    parts = [geometry for _, geometry in layer(source / "landsdeel_2025.topojson")]
    return simplified(union_all(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    document = build()
    args.out.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
