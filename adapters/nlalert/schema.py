"""Pydantic models of the NL-Alert public feed (api.public-warning.app, for actueel.nl-alert.nl).

The feed is not officially documented. Consumers observe
`{"data": [item, ...]}` with items `{"id", "message", "area": ["lat,lon lat,lon ...", ...],
"start_at", "stop_at"}`, and real items carry more (`type`, `resource_uri`). Unknown fields are
ignored so a richer feed still flows; every field the hub uses is checked strictly (no type
coercion: a number is not a message, null is not a string), so a changed feed fails loudly at
`data[2].area[0]` instead of being misread.

`updated_at` is not in the observed feed. If a feed ever carries it, it is taken as the version's
timestamp (see `parse.sent_of`); the hub also writes it back when rendering needs it to keep `sent`.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

MAX_MESSAGE = 65_536  # the canonical text limit; cell broadcast limits are reported, not enforced
MAX_POINTS = 100_000
# Plausible years, with room for date arithmetic (a day's window, local time) never to overflow.
YEARS = (1970, 9000)
Point = tuple[float, float]

_ID = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?$")
# C0 controls (but tab, LF, CR), DEL and lone surrogates cannot travel in CAP XML or UTF-8.
UNSAFE_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class UnusableNumber:
    """A JSON number or constant no field can use (huge, infinite, NaN), kept as its text.

    JSON decoding hands these over instead of failing, so validation can name the field.
    """

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text[:20] + ("..." if len(self.text) > 20 else "")


def _item_id(value: object) -> str:
    """Ids come as strings or integers; both become the string the thread and identifier use."""
    if isinstance(value, UnusableNumber):
        raise ValueError(f"number {value!r} is too long or not finite")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("must be a string or an integer")
    text = str(value)
    if not _ID.match(text):
        raise ValueError("must be 1-200 characters of A-Z a-z 0-9 . _ : - (it names the alert)")
    return text


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    bad = UNSAFE_CHARACTERS.search(value)
    if bad is not None:
        raise ValueError(f"contains the control character U+{ord(bad.group()):04X}")
    return value


def _timestamp(value: object) -> datetime:
    """ISO 8601 with an offset; a naive time would be a guess between UTC and Dutch time."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("is not an ISO 8601 date-time") from None
    offset = parsed.utcoffset()
    if offset is None:
        raise ValueError("has no UTC offset (write Z or +01:00)")
    if offset % timedelta(minutes=1):
        raise ValueError("has an offset with seconds")
    if not YEARS[0] <= parsed.year <= YEARS[1]:
        raise ValueError(f"is outside the years {YEARS[0]}-{YEARS[1]}")
    return parsed


def _optional_timestamp(value: object) -> datetime | None:
    return None if value is None else _timestamp(value)


def _polygon(value: object) -> list[Point]:
    """A CAP polygon string: closed ring of at least 4 `lat,lon` pairs (CAP 1.2 §3.2.4).

    Rings are checked, not repaired: the observed feed's polygons are CAP polygons, and silently
    closing a ring would publish an area nobody drew.
    """
    if not isinstance(value, str):
        raise ValueError("must be a polygon string 'lat,lon lat,lon ...'")
    tokens = value.split()
    if len(tokens) > MAX_POINTS:
        raise ValueError(f"has {len(tokens)} points; the limit is {MAX_POINTS}")
    points = [_point(token, index) for index, token in enumerate(tokens)]
    if len(points) < 4:
        raise ValueError(f"a polygon needs at least 4 lat,lon points (CAP 1.2), got {len(points)}")
    if points[0] != points[-1]:
        raise ValueError("the ring is not closed: the first and last points must be equal")
    return points


def _point(token: str, index: int) -> Point:
    lat_text, comma, lon_text = token.partition(",")
    if not comma or not _NUMBER.match(lat_text) or not _NUMBER.match(lon_text):
        raise ValueError(f"point {index} ({token[:40]!r}) is not a lat,lon pair of decimals")
    lat, lon = float(lat_text), float(lon_text)
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ValueError(f"point {index}: latitude {lat_text[:40]} is outside -90..90")
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ValueError(f"point {index}: longitude {lon_text[:40]} is outside -180..180")
    return lat, lon


ItemId = Annotated[str, BeforeValidator(_item_id)]
Message = Annotated[str, Field(min_length=1, max_length=MAX_MESSAGE), AfterValidator(_text)]
Polygon = Annotated[list[Point], BeforeValidator(_polygon)]
Timestamp = Annotated[datetime, BeforeValidator(_timestamp)]
OptionalTimestamp = Annotated[datetime | None, BeforeValidator(_optional_timestamp)]


class FeedItem(BaseModel):
    """One NL-Alert as the feed lists it (one version of it: the feed shows the latest text)."""

    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)

    id: ItemId
    message: Message
    area: list[Polygon] = Field(default_factory=list)
    start_at: Timestamp
    stop_at: OptionalTimestamp = None
    updated_at: OptionalTimestamp = None


class Feed(BaseModel):
    """The whole feed: the alerts that are current (pagination and other keys are ignored)."""

    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)

    data: list[FeedItem]
