"""A subscription's area as the hub's geography sees it, and what an alert covers.

The subscription's polygon, circle or place code is turned into a CAP area, so one piece of code
(the hub's geography: polygons, circles as ellipses in lon/lat degrees, Dutch codes as the places
they name) gives the shape of both sides. Postcodes have no boundary data here: a subscription to
a postcode matches the alerts that name a postcode with the same four digits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from shapely.geometry.base import BaseGeometry

from domain.model import Area, Circle, Geocode
from hub.subscriptions.errors import InvalidSubscriptionError
from hub.subscriptions.model import AreaSpec

POSTCODE_SYSTEMS = {"NL-POSTCODE", "POSTCODE"}
CODE_SYSTEM = {"GM": "CBS-GM", "VR": "CBS-VR"}


class Geography(Protocol):
    def shape_of(self, areas: Iterable[Area]) -> BaseGeometry | None:
        """The union of the areas' polygons, circles and the Dutch places their geocodes name."""
        ...

    def place(self, code: str) -> Place | None:
        """A Dutch place (NL, PVxx, VRxx, GMxxxx) with its boundary."""
        ...


class Place(Protocol):
    @property
    def shape(self) -> BaseGeometry: ...


def as_area(spec: AreaSpec) -> Area:
    """The subscription's area written as a CAP area."""
    if spec.polygon is not None:
        return Area(description="subscription", polygons=[[(p[0], p[1]) for p in spec.polygon]])
    if spec.circle is not None:
        return Area(description="subscription", circles=[Circle(**spec.circle)])
    code = spec.geocode or ""
    return Area(
        description="subscription", geocodes=[Geocode(name=CODE_SYSTEM[code[:2]], value=code)]
    )


def in_netherlands(shape: BaseGeometry, geography: Geography) -> bool:
    country = geography.place("NL")
    return country is not None and country.shape.intersects(shape)


def subscription_shape(spec: AreaSpec, geography: Geography) -> BaseGeometry | None:
    """The subscription's area as a shape; None for a postcode (matched by code)."""
    if spec.postcode is not None:
        return None
    shape = geography.shape_of([as_area(spec)])
    if shape is None or shape.is_empty:
        raise InvalidSubscriptionError(f"unknown geocode {spec.geocode}", location="area.geocode")
    return shape


def alert_postcodes(areas: Iterable[Area]) -> set[str]:
    return {
        postcode_digits(g.value)
        for area in areas
        for g in area.geocodes
        if g.name.upper() in POSTCODE_SYSTEMS
    }


def postcode_key(spec: AreaSpec) -> str | None:
    return None if spec.postcode is None else postcode_digits(spec.postcode)


def postcode_digits(value: str) -> str:
    """A subscription to 1012 gets alerts for 1012AB as well: match on the four digits."""
    return value.replace(" ", "").upper()[:4]
