"""The AMBER Alert feed (Burgernet "Landactiehost") as pydantic models, and its value formats.

Since 2021 the police send AMBER Alerts and Vermist Kind Alerts through Burgernet; the public feed
is a JSON array of items, empty when nothing is active. Its interface document ("Technische
koppelingen Burgernet/AMBER Alert berichten v1.1") is not public, so the field names and formats
here are the ones consumer code relies on. Where it says nothing we decided:

* `AlertId`, `Sent` and `AlertLevel` are JSON strings, as every consumer reads them (a Go consumer
  declares them `string`, so a number would break it too): a number there is refused.
  `CircleKM` has no observed type, so a string or a number is accepted (kept as text).
* `Sent` is Unix epoch seconds. A 13-digit value can only be milliseconds (seconds that large are
  past the year 9999), so it is accepted as such; the original text is kept for rendering.
* `Circle` is `"lat,lon radius"` with the radius in **metres** (CAP uses km). When `CircleKM` is
  also given, the two must agree to within `CircleKM`'s own rounding, or we cannot know which one
  the sender meant.
* An empty string means "not given", like `null` or a missing key.
* Unknown keys are ignored: the feed may grow, and refusing a whole feed for a new field would
  stop every alert in it. Only the fields below travel through the hub.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

CHANNEL = "amber"
SENDER = "amberalert.nl"
MEDIA_TYPE = "application/json"

# Feed fields without a CAP element travel as info parameters (docs/channels.md).
P_LEVEL = "amber:AlertLevel"
P_SCOPE = "amber:Scope"
P_KIND = "amber:DescriptionExt"
P_CIRCLE_KM = "amber:CircleKM"
P_SENT = "amber:Sent"  # only when the original text is not plain seconds (milliseconds)
P_CIRCLE = "amber:Circle"  # only when the original text is not in the form render writes

ItemType = Literal["Alert", "Update", "Cancel"]
ItemState = Literal["Actual", "Exercise", "System", "Test", "Draft"]  # CAP status values
AlertLevel = Literal["10", "5"]  # 10: national AMBER Alert; 5: regional Vermist Kind Alert

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DIGITS = re.compile(r"[0-9]+")
_NUMBER = r"[-+]?[0-9]+(?:\.[0-9]+)?"
_CIRCLE = re.compile(rf"\s*({_NUMBER})\s*,\s*({_NUMBER})\s+({_NUMBER})\s*")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")  # the canonical model's rule for web
MAX_RADIUS_M = 20_037_500.0  # half the Earth's circumference: the canonical model's limit
_IMAGE_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
}


def sent_instant(text: str) -> datetime:
    """The instant of a `Sent` text: epoch seconds (up to 12 digits) or milliseconds (13)."""
    if not _DIGITS.fullmatch(text):
        raise ValueError("must be Unix epoch seconds: digits only")
    if len(text) > 13:
        raise ValueError("has too many digits for epoch seconds or milliseconds")
    millis = int(text) if len(text) == 13 else int(text) * 1000
    try:
        return _EPOCH + timedelta(milliseconds=millis)
    except OverflowError:
        raise ValueError("is after the year 9999") from None


def seconds_text(instant: datetime) -> str:
    """`Sent` as the feed writes it: whole epoch seconds (never negative: 0 at the earliest)."""
    return str(max(instant - _EPOCH, timedelta(0)) // timedelta(seconds=1))


@dataclass(frozen=True)
class NativeCircle:
    """A `Circle` value: WGS 84 centre and a radius in metres."""

    lat: float
    lon: float
    radius_m: float

    @property
    def radius_km(self) -> float:
        return self.radius_m / 1000


def circle_text(lat: float, lon: float, radius_km: float) -> str:
    """A canonical circle as the feed writes it; the radius back in metres.

    Rounding to micrometres undoes the float noise of m -> km -> m (1012.156 / 1000 * 1000 is
    1012.1560000000001). Parsing keeps the original text whenever it differs from this form, so
    the round trip stays exact either way.
    """
    return f"{number(lat)},{number(lon)} {number(round(radius_km * 1000, 6))}"


def number(value: float) -> str:
    """The shortest text that reads back as `value`, never in exponent form (1e-05)."""
    text = format(Decimal(repr(float(value))), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_circle(text: str) -> NativeCircle:
    """`"lat,lon radius-in-metres"`, range-checked like the canonical model."""
    found = _CIRCLE.fullmatch(text)
    if found is None:
        raise ValueError("must be 'lat,lon radius' with the radius in metres")
    lat, lon, radius = (float(part) for part in found.groups())
    if not -90 <= lat <= 90:
        raise ValueError(f"latitude {lat} is outside -90..90")
    if not -180 <= lon <= 180:
        raise ValueError(f"longitude {lon} is outside -180..180")
    if radius < 0:
        raise ValueError(f"radius {number(radius)} m is negative")
    if radius > MAX_RADIUS_M:
        raise ValueError(f"radius {number(radius)} m is more than half the Earth's circumference")
    return NativeCircle(lat, lon, radius)


def circle_km_text(value: object) -> object:
    """`CircleKM` as text; a JSON number is accepted (its type in the feed is unknown)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return str(value) if isinstance(value, int) else number(value)


def check_circle_km(km_text: str, circle: NativeCircle | None) -> str:
    """`CircleKM` must be a non-negative decimal that agrees with `Circle` up to its rounding."""
    if not _DECIMAL.fullmatch(km_text):
        raise ValueError("must be a non-negative decimal number of kilometres")
    if circle is None:
        return km_text
    decimals = len(km_text.partition(".")[2])
    tolerance = 0.5 * 10**-decimals + 1e-9
    if abs(float(km_text) - circle.radius_km) > tolerance:
        raise ValueError(
            f"CircleKM {km_text} km disagrees with the Circle radius {number(circle.radius_m)} m "
            f"({number(circle.radius_km)} km)"
        )
    return km_text


def image_type(uri: str) -> str:
    """The MIME type the file extension names; unknown extensions say only "bytes"."""
    path = uri.split("?", 1)[0].split("#", 1)[0]
    extension = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    return _IMAGE_TYPES.get(extension, "application/octet-stream")


def _blank_is_none(value: str | None) -> str | None:
    return value or None


def is_absolute_url(value: str) -> bool:
    return _ABSOLUTE_URI.fullmatch(value) is not None


def _absolute(value: str | None) -> str | None:
    if value is not None and not is_absolute_url(value):
        raise ValueError("must be a full absolute URL")
    return value


def _numeric_id(value: str) -> str:
    if not _DIGITS.fullmatch(value):
        raise ValueError("must be a numeric string (digits only)")
    return value


def _valid_sent(value: str) -> str:
    sent_instant(value)
    return value


def _valid_circle(value: str | None) -> str | None:
    if value is not None:
        parse_circle(value)
    return value


Text = Annotated[str | None, Field(max_length=65_536), AfterValidator(_blank_is_none)]
Uri = Annotated[str | None, Field(max_length=4096), AfterValidator(_blank_is_none)]


class Native(BaseModel):
    """Feed objects: strict about types, tolerant of keys the feed may add."""

    model_config = ConfigDict(strict=True, frozen=True, extra="ignore", allow_inf_nan=False)


class AmberMedia(Native):
    Image: Uri = None


class AmberMessage(Native):
    Title: Text = None
    Description: Text = None
    DescriptionExt: Text = None  # "Vermist" (missing) or "Ontvoerd" (abducted)
    Readmore_URL: Annotated[Uri, AfterValidator(_absolute)] = None
    Media: AmberMedia | None = None


class AmberArea(Native):
    Description: Text = None
    Circle: Annotated[Text, AfterValidator(_valid_circle)] = None
    CircleKM: Annotated[Text, BeforeValidator(circle_km_text)] = None

    @field_validator("CircleKM")
    @classmethod
    def _agrees_with_circle(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return check_circle_km(value, _circle_of(info.data.get("Circle")))

    @property
    def circle(self) -> NativeCircle | None:
        return _circle_of(self.Circle)


def _circle_of(text: str | None) -> NativeCircle | None:
    return parse_circle(text) if text else None


class AmberItem(Native):
    """One feed item: one message (Alert, Update or Cancel) of one alert (`AlertId`)."""

    AlertId: Annotated[str, Field(max_length=40), AfterValidator(_numeric_id)]
    Sent: Annotated[str, AfterValidator(_valid_sent)]
    Type: ItemType
    State: ItemState
    AlertLevel: AlertLevel
    Scope: Text = None
    Message: AmberMessage | None = None
    Area: AmberArea | None = None

    @property
    def sent(self) -> datetime:
        return sent_instant(self.Sent)

    @property
    def thread(self) -> str:
        return f"{CHANNEL}:{self.AlertId}"
