"""Canonical value objects: CAP 1.2 rules hold for every input hypothesis can think of."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.model import AlertMessage, Area, Circle, Geocode, MessageRef
from tests.factories import info, message

lat = st.floats(-90, 90, allow_nan=False)
lon = st.floats(-180, 180, allow_nan=False)
bad_lat = st.one_of(st.floats(90.0001, 1e6), st.floats(-1e6, -90.0001))
point = st.tuples(lat, lon)


@given(st.lists(point, min_size=3, max_size=30))
def test_any_closed_ring_of_four_or_more_points_is_a_polygon(
    points: list[tuple[float, float]],
) -> None:
    """A ring closed on its first point, with at least 4 pairs, is accepted as given."""
    ring = [*points, points[0]]
    area = Area(description="x", polygons=[ring])
    assert area.polygons[0] == ring


@given(st.lists(point, min_size=4, max_size=30).filter(lambda p: p[0] != p[-1]))
def test_an_unclosed_ring_is_refused(points: list[tuple[float, float]]) -> None:
    """CAP: the first and last pairs of a polygon MUST be the same."""
    with pytest.raises(ValidationError, match="closed"):
        Area(description="x", polygons=[points])


@given(st.lists(point, min_size=1, max_size=2))
def test_fewer_than_four_pairs_is_refused(points: list[tuple[float, float]]) -> None:
    with pytest.raises(ValidationError, match="at least 4"):
        Area(description="x", polygons=[[*points, points[0]]])


@given(bad_lat, lon)
def test_latitude_out_of_range_is_refused(bad: float, lon_: float) -> None:
    ring = [(bad, lon_), (0.0, 0.0), (1.0, 1.0), (bad, lon_)]
    with pytest.raises(ValidationError, match="latitude"):
        Area(description="x", polygons=[ring])


@given(lat, lon, st.floats(0, 20_000))
def test_circle_accepts_non_negative_radius(a: float, b: float, r: float) -> None:
    assert Circle(lat=a, lon=b, radius_km=r).radius_km == r


@given(st.floats(max_value=-1e-9) | st.just(float("nan")) | st.just(float("inf")))
def test_circle_refuses_negative_or_non_finite_radius(r: float) -> None:
    with pytest.raises(ValidationError):
        Circle(lat=52.0, lon=5.0, radius_km=r)


@given(st.integers(0, 9999))
def test_municipality_codes(n: int) -> None:
    """CBS-GM codes are GM + 4 digits; anything else under that name is refused."""
    assert Geocode(name="CBS-GM", value=f"GM{n:04d}").value == f"GM{n:04d}"
    with pytest.raises(ValidationError, match="municipality"):
        Geocode(name="CBS-GM", value=f"GM{n}X")


@pytest.mark.parametrize(
    ("name", "value", "ok"),
    [
        ("CBS-VR", "VR01", True),
        ("CBS-VR", "VR25", True),
        ("CBS-VR", "VR26", False),
        ("CBS-VR", "VR00", False),
        ("CBS-PV", "PV27", True),
        ("NL-POSTCODE", "1012AB", True),
        ("NL-POSTCODE", "1012", True),
        ("NL-POSTCODE", "0123AB", False),
        ("NL-POSTCODE", "1012SA", False),
        ("SAME", "anything goes", True),
    ],
)
def test_dutch_geocode_convention(name: str, value: str, ok: bool) -> None:
    if ok:
        Geocode(name=name, value=value)
    else:
        with pytest.raises(ValidationError):
            Geocode(name=name, value=value)


def test_naive_times_are_refused() -> None:
    """Date-times must carry an offset."""
    with pytest.raises(ValidationError, match="timezone"):
        message(sent=datetime(2025, 1, 1, 12, 0))


@pytest.mark.parametrize("bad", ["has space", "a,b", "x<y", "a&b", ""])
def test_identifiers_follow_cap_character_rules(bad: str) -> None:
    with pytest.raises(ValidationError):
        message(bad)


def test_update_needs_references() -> None:
    with pytest.raises(ValidationError, match="references"):
        message(msg_type="Update")


def test_restricted_scope_needs_restriction() -> None:
    with pytest.raises(ValidationError, match="restriction"):
        message(scope="Restricted")


def test_reference_triples_parse() -> None:
    ref = MessageRef.parse("trinet@caltech.edu,TRI13970876.1,2003-06-11T20:30:00-07:00")
    assert (ref.sender, ref.identifier, ref.sent.utcoffset().total_seconds()) == (  # type: ignore[union-attr]
        "trinet@caltech.edu",
        "TRI13970876.1",
        -7 * 3600,
    )


def test_digest_is_stable_and_content_sensitive() -> None:
    """The duplicate check hinges on this: same content, same digest; any change, another."""
    assert message().digest() == message().digest()
    assert message().digest() != message(info=[info(headline="anders")]).digest()


@given(st.sampled_from(["Urgent", "actual", "ACTUAL", ""]))
def test_enums_are_exact(status: str) -> None:
    with pytest.raises(ValidationError):
        AlertMessage.model_validate(message().model_dump() | {"status": status})


@pytest.mark.parametrize("bad", ["bell\x07", "nul\x00", "esc\x1b["])
def test_control_characters_are_refused(bad: str) -> None:
    """Text must survive CAP XML; a control character would make the CAP view unreadable."""
    with pytest.raises(ValidationError, match="control character"):
        message(note=bad)


def test_tabs_and_newlines_are_text() -> None:
    assert message(note="a\tb\r\nc").note == "a\tb\r\nc"


def test_offsets_with_seconds_are_refused() -> None:
    """CAP writes offsets as ±hh:mm; anything finer could not be written back unchanged."""
    with pytest.raises(ValidationError, match="whole minutes"):
        message(sent=datetime.fromisoformat("2025-01-01T12:00:00+00:19:32"))
