"""The Dutch places and the shape of an alert's area (see the package docstring for why)."""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import structlog
from shapely import STRtree, affinity, prepare, union_all
from shapely.geometry import Point, Polygon, shape
from shapely.geometry.base import BaseGeometry

from domain.geocodes import is_dutch_code_system
from domain.model import Area, Circle
from domain.state import AlertState

DATA = Path(__file__).parent / "nl-2025.json"
COUNTRY = "NL"
OVERLAP = 0.01
KM_PER_DEGREE = 111.32  # one degree of latitude (and of longitude at the equator), in km
SHAPES_KEPT = 1024
_GEOMETRY = {"polygons", "circles", "geocodes"}
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Place:
    code: str  # NL, PVxx, VRxx or GMxxxx
    name: str
    kind: str  # country, province, safety_region, municipality
    shape: BaseGeometry


class _Loaded:
    """The places of the data file, with a spatial index over them."""

    def __init__(self, path: Path) -> None:
        document = json.loads(path.read_text())
        self.places = {
            p["code"]: Place(p["code"], p["name"], p["kind"], shape(p["geometry"]))
            for p in document["places"]
        }
        self.order = [p for p in self.places.values() if p.kind != "country"]
        for place in self.places.values():
            prepare(place.shape)
        self.tree = STRtree([p.shape for p in self.order])
        self.country = self.places[COUNTRY].shape


@dataclass
class _Known:
    """One distinct set of areas: its shape, and the places it overlaps once someone asked."""

    shape: BaseGeometry | None
    codes: frozenset[str] | None = None


class Geography:
    """Dutch places and alert areas. Reads its data file once, on first use (thread-safe)."""

    def __init__(self, path: Path = DATA) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self._shapes: OrderedDict[tuple[str, ...], _Known] = OrderedDict()

    @property
    def _data(self) -> _Loaded:
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = _Loaded(self.path)
                    log.info(
                        "geography.loaded", path=str(self.path), places=len(self._loaded.places)
                    )
        return self._loaded

    def place(self, code: str) -> Place | None:
        return self._data.places.get(code)

    def places_at(self, lat: float, lon: float) -> list[Place]:
        """The places containing a point (its municipality, safety region, province)."""
        data, point = self._data, Point(lon, lat)
        return [data.order[i] for i in data.tree.query(point, predicate="intersects")]

    def shape_of(self, areas: Iterable[Area]) -> BaseGeometry | None:
        """The union of the areas' polygons, circles and the Dutch places their geocodes name."""
        return self._known(areas).shape

    def _known(self, areas: Iterable[Area]) -> _Known:
        """What is known of these areas: their shape, and their places once asked for.

        Remembered for the last `SHAPES_KEPT` distinct areas: every message of an alert, and
        every view and check that looks at it, asks about the same areas again, and building
        the shape (polygons, repairs, a union) and intersecting it with the places costs more
        than everything else done with them. The same areas recur across messages and alerts
        (a region's alerts name its codes), so this outlives any one page of a view.
        """
        areas = list(areas)
        key = tuple(a.model_dump_json(include=_GEOMETRY) for a in areas)
        with self._lock:
            if key in self._shapes:
                self._shapes.move_to_end(key)
                return self._shapes[key]
        found = _Known(self._build_shape(areas))
        with self._lock:
            self._shapes[key] = found
            if len(self._shapes) > SHAPES_KEPT:
                self._shapes.popitem(last=False)
        return found

    def _build_shape(self, areas: list[Area]) -> BaseGeometry | None:
        parts: list[BaseGeometry] = []
        for area in areas:
            parts += [Polygon([(lon, lat) for lat, lon in ring]) for ring in area.polygons]
            parts += [circle_shape(c) for c in area.circles]
            parts += [p.shape for g in area.geocodes if (p := self._named(g.name, g.value))]
        valid = [p.buffer(0) if not p.is_valid else p for p in parts]
        return union_all(valid) if valid else None

    def in_netherlands(self, alert: AlertState) -> bool:
        """Whether the alert lies in or touches the Netherlands, by geometry or by a Dutch code."""
        areas = areas_of(alert)
        if any(is_dutch_code_system(g.name) for area in areas for g in area.geocodes):
            return True
        found = self.shape_of(areas)
        return found is not None and self._data.country.intersects(found)

    def codes_of(self, alert: AlertState) -> set[str]:
        """Every place the alert's area overlaps (sharing only a border does not count)."""
        known = self._known(areas_of(alert))
        if known.codes is None:  # two threads may both work it out: the same answer
            known.codes = frozenset(self._overlapped(known.shape))
        return set(known.codes)

    def _overlapped(self, found: BaseGeometry | None) -> set[str]:
        if found is None or found.is_empty:
            return set()
        data = self._data
        hits = data.tree.query(found, predicate="intersects")
        covered = {data.order[i].code for i in hits if _overlap(data.order[i].shape, found)}
        return covered | ({COUNTRY} if covered else set())

    def bounds(self, alert: AlertState) -> tuple[float, float, float, float] | None:
        """min_lat, min_lon, max_lat, max_lon of the alert's area (None: no shape)."""
        found = self.shape_of(areas_of(alert))
        if found is None or found.is_empty:
            return None
        min_lon, min_lat, max_lon, max_lat = found.bounds
        return min_lat, min_lon, max_lat, max_lon

    def covers(self, alert: AlertState, lat: float, lon: float) -> bool:
        """Whether the alert's area holds the point (its border included)."""
        found = self.shape_of(areas_of(alert))
        return found is not None and found.intersects(Point(lon, lat))

    def _named(self, system: str, code: str) -> Place | None:
        return self._data.places.get(code) if is_dutch_code_system(system) else None


def areas_of(alert: AlertState) -> list[Area]:
    """The areas of the alert's current content, every info block's."""
    return [area for info in alert.current.info for area in info.areas]


def _overlap(place: BaseGeometry, found: BaseGeometry) -> bool:
    """More than a shared border: neighbours simplified one by one may overlap by a sliver, so
    an overlap counts from OVERLAP of the smaller shape's area (a point or line: any contact)."""
    if found.area == 0:
        return bool(place.intersects(found))
    return bool(place.intersection(found).area > OVERLAP * min(place.area, found.area))


def circle_shape(circle: Circle, segments: int = 32) -> BaseGeometry:
    """A CAP circle (km) as a lon/lat polygon: an ellipse, since a degree of longitude shrinks
    with latitude. Close enough for deciding where an alert lies, not for surveying."""
    if circle.radius_km == 0:
        return Point(circle.lon, circle.lat)
    lat_degrees = circle.radius_km / KM_PER_DEGREE
    shrink = max(math.cos(math.radians(circle.lat)), 0.01)
    unit = Point(circle.lon, circle.lat).buffer(lat_degrees, quad_segs=segments // 4)
    return affinity.scale(unit, xfact=1 / shrink, yfact=1.0)
