"""Dutch places as data: the shipped boundaries, and where an alert lies."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry.base import BaseGeometry

from adapters.territory import InTerritory, keep_to_territories
from devtools.nl_geography import TARGET, build
from domain.model import AlertMessage, Area, Circle, Geocode
from domain.state import AlertState
from geography import DATA, Geography, places
from tests.strategies import coordinate

DAM = (52.3731, 4.8926)
AMSTERDAM = [(52.36, 4.87), (52.39, 4.87), (52.39, 4.92), (52.36, 4.92), (52.36, 4.87)]
NEW_YORK = [(40.70, -74.02), (40.80, -74.02), (40.80, -73.93), (40.70, -73.93), (40.70, -74.02)]


@cache
def geography() -> Geography:
    return Geography()


def alert(*areas: Area) -> AlertState:
    message = AlertMessage.model_validate(
        {
            "identifier": "x",
            "sender": "s",
            "sent": datetime(2026, 1, 1, tzinfo=UTC),
            "status": "Actual",
            "msg_type": "Alert",
            "scope": "Public",
            "info": [
                {
                    "category": ["Safety"],
                    "event": "e",
                    "urgency": "Immediate",
                    "severity": "Severe",
                    "certainty": "Observed",
                    "areas": list(areas),
                }
            ],
        }
    )
    return AlertState.issued(uuid4(), "cap", message, datetime(2026, 1, 1, tzinfo=UTC))


def test_the_shipped_file_holds_the_country_its_regions_and_municipalities() -> None:
    places = json.loads(DATA.read_text())["places"]
    kinds = [p["kind"] for p in places]
    assert kinds.count("country") == 1
    assert kinds.count("safety_region") == 25
    assert kinds.count("municipality") == 342
    assert {p["code"] for p in places if p["kind"] == "safety_region"} == {
        f"VR{n:02d}" for n in range(1, 26)
    }
    assert DATA.stat().st_size < 2_000_000


def test_the_shipped_file_is_what_the_script_generates() -> None:
    """The committed data is reproducible from the committed sources (no hand edits)."""
    assert TARGET == DATA
    assert json.loads(DATA.read_text()) == json.loads(json.dumps(build()))


def test_nothing_is_read_before_first_use(tmp_path: Path) -> None:
    lazy = Geography(tmp_path / "absent.json")  # built in the composition root: must not read
    with pytest.raises(FileNotFoundError):
        lazy.place("GM0363")


def test_a_point_lies_in_its_municipality_region_and_province() -> None:
    codes = {p.code for p in geography().places_at(*DAM)}
    assert codes == {"GM0363", "VR13", "PV27"}
    assert geography().places_at(40.75, -73.98) == []


def test_a_polygon_covers_the_places_it_overlaps() -> None:
    codes = geography().codes_of(alert(Area(description="a", polygons=[AMSTERDAM])))
    assert {"NL", "PV27", "VR13", "GM0363"} <= codes
    assert "GM0344" not in codes  # Utrecht


def test_a_municipality_code_covers_its_region_not_its_neighbours() -> None:
    by_code = alert(Area(description="a", geocodes=[Geocode(name="CBS-GM", value="GM0363")]))
    assert geography().codes_of(by_code) == {"NL", "PV27", "VR13", "GM0363"}
    assert geography().covers(by_code, *DAM)
    assert not geography().covers(by_code, 52.0907, 5.1214)


def test_in_the_netherlands_by_geometry_or_by_dutch_code() -> None:
    nl = geography()
    assert nl.in_netherlands(alert(Area(description="a", polygons=[AMSTERDAM])))
    assert not nl.in_netherlands(alert(Area(description="a", polygons=[NEW_YORK])))
    assert nl.in_netherlands(
        alert(Area(description="a", geocodes=[Geocode(name="NL-POSTCODE", value="1012")]))
    )
    assert not nl.in_netherlands(
        alert(Area(description="a", geocodes=[Geocode(name="SAME", value="006109")]))
    )
    assert not nl.in_netherlands(alert())
    # A circle in Germany that reaches over the border touches the Netherlands.
    assert nl.in_netherlands(
        alert(Area(description="a", circles=[Circle(lat=51.85, lon=6.2, radius_km=15)]))
    )
    assert not nl.in_netherlands(
        alert(Area(description="a", circles=[Circle(lat=51.85, lon=6.9, radius_km=5)]))
    )


def test_bounds_of_a_circle() -> None:
    box = geography().bounds(
        alert(Area(description="a", circles=[Circle(lat=52.0, lon=5.0, radius_km=11.132)]))
    )
    assert box is not None
    min_lat, min_lon, max_lat, max_lon = box
    assert min_lat == pytest.approx(51.9, abs=1e-3)
    assert max_lat == pytest.approx(52.1, abs=1e-3)
    assert max_lon - min_lon > max_lat - min_lat  # a degree of longitude is shorter up north


def test_an_areas_places_are_worked_out_once_and_remembered_within_a_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The places of the same areas (another message, another alert, another page) come from
    memory, for the last `SHAPES_KEPT` distinct areas; the answer stays the caller's own."""
    nl = Geography()
    worked_out: list[object] = []
    overlapped = nl._overlapped

    def counted(shape: BaseGeometry | None) -> set[str]:
        worked_out.append(shape)
        return overlapped(shape)

    monkeypatch.setattr(nl, "_overlapped", counted)
    monkeypatch.setattr(places, "SHAPES_KEPT", 2)
    dam, utrecht, zwolle = (
        Area(description=d, circles=[Circle(lat=lat, lon=lon, radius_km=1)])
        for d, lat, lon in (("a", *DAM), ("b", 52.0907, 5.1214), ("c", 52.5168, 6.0830))
    )
    first = nl.codes_of(alert(dam))
    first.add("XX")  # the caller's own set: not what the next one reads
    again = nl.codes_of(alert(Area(description="other words", circles=dam.circles)))
    assert again == {"NL", "PV27", "VR13", "GM0363"}
    assert len(worked_out) == 1
    nl.codes_of(alert(utrecht))
    nl.codes_of(alert(zwolle))  # a third distinct area: the least recently asked is forgotten
    assert nl.codes_of(alert(dam)) == again
    assert len(worked_out) == 4


@settings(max_examples=50, deadline=None)
@given(st.lists(coordinate, min_size=3, max_size=6))
def test_any_valid_area_is_judged_without_error(points: list[tuple[float, float]]) -> None:
    """Self-crossing rings, slivers, poles, the date line: the geometry never crashes a view."""
    state = alert(Area(description="a", polygons=[[*points, points[0]]]))
    nl = geography()
    assert isinstance(nl.in_netherlands(state), bool)
    assert isinstance(nl.codes_of(state), set)
    assert isinstance(nl.covers(state, *DAM), bool)


class _Dutch:
    name = "nl"
    media_types = ("application/json",)
    territory = "NL"

    def parse(self, body: bytes, media_type: str) -> list[object]:
        return []

    def selects(self, alert: AlertState) -> bool:
        return True

    def render(self, alert: AlertState) -> object:
        return None


def test_channels_of_a_territory_keep_to_it() -> None:
    """Only channels that name a territory are wrapped; their own alerts always belong."""
    cap = type("Cap", (_Dutch,), {"name": "cap", "territory": None})()
    wrapped = keep_to_territories({"nl": _Dutch(), "cap": cap}, {"NL": lambda a: False})  # type: ignore[dict-item]
    assert isinstance(wrapped["nl"], InTerritory)
    assert wrapped["cap"] is cap
    foreign = alert(Area(description="a", polygons=[NEW_YORK]))
    assert not wrapped["nl"].selects(foreign)
    assert wrapped["cap"].selects(foreign)
    own = foreign.model_copy(update={"origin": foreign.origin.model_copy(update={"channel": "nl"})})
    assert wrapped["nl"].selects(own)
