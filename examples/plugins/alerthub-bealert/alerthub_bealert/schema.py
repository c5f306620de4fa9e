"""Pydantic models of the BE-Alert partner feed item (an illustrative format, see README.md).

One item is one message of one BE-Alert: `revision` 1 opens the alert, later revisions update it,
and `status: "ended"` ends it. Every field the hub uses is checked strictly (no string for a
number, no null for a text), so a changed feed fails at `area.municipalities[2]` instead of being
misread; unknown keys are ignored so a richer feed still flows. Texts must be able to travel as
CAP XML, so control characters are refused here, where the error can name the native field.

Municipalities are Belgian NIS codes (Statbel's REFNIS): five digits, the first 1-9, e.g. `21004`
(Brussels), `11002` (Antwerp), `62063` (Liège), `63023` (Eupen).
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from adapters.strictjson import load_json as strict_load_json

MEDIA_TYPES = ("application/json", "application/vnd.be-alert+json")
MAX_BYTES = 1024 * 1024
LANGUAGES = ("nl", "fr", "de", "en")  # the three national languages, then English
Status = Literal["active", "ended", "test"]
Medium = Literal["sms", "voice", "email", "location-sms", "cell-broadcast"]
Point = tuple[float, float]

_ALERT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_NIS = re.compile(r"[1-9][0-9]{4}")
_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)")
_URL = re.compile(r"https?://\S+")
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    if found := _UNSAFE.search(value):
        raise ValueError(f"contains the control character U+{ord(found.group()):04X}")
    return value


def _moment(value: object) -> datetime:
    """`YYYY-MM-DDThh:mm:ss` with `Z` or `±hh:mm`: a moment without an offset is a guess."""
    if not isinstance(value, str) or not _MOMENT.fullmatch(value):
        raise ValueError("must be a date-time like 2025-06-05T10:42:00+02:00 (seconds, offset)")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("is not a valid date-time") from None
    if abs(moment.utcoffset() or timedelta()) > timedelta(hours=18):
        raise ValueError("has an offset beyond ±18:00")
    return moment


def _point(value: object) -> Point:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError("a point is [latitude, longitude]")
    lat, lon = value
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise ValueError("a point's coordinates must be numbers")
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("latitude must be in -90..90 and longitude in -180..180")
    return float(lat), float(lon)


def _ring(points: list[Point]) -> list[Point]:
    if len(points) < 4 or points[0] != points[-1]:
        raise ValueError(
            "a polygon is a closed ring: 4 or more points, the last equal to the first"
        )
    return points


def _pattern(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"must be {what}")
        return value

    return AfterValidator(check)


Text = Annotated[str, Field(max_length=65_536), AfterValidator(_text)]
Name = Annotated[str, Field(max_length=1024), AfterValidator(_text)]
Moment = Annotated[datetime, BeforeValidator(_moment)]
Nis = Annotated[str, _pattern(_NIS, "a 5-digit NIS municipality code, e.g. 21004")]
AlertId = Annotated[str, _pattern(_ALERT_ID, "1-64 of A-Z a-z 0-9 . _ - (starting alphanumeric)")]
Url = Annotated[str, Field(max_length=4096), _pattern(_URL, "an absolute http(s) URL")]
Ring = Annotated[list[Annotated[Point, BeforeValidator(_point)]], AfterValidator(_ring)]


class Native(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)


class LanguageMessage(Native):
    """One language's message: the title (SMS/e-mail subject) and the full text."""

    title: Name
    body: Text


class Messages(Native):
    nl: LanguageMessage | None = None
    fr: LanguageMessage | None = None
    de: LanguageMessage | None = None
    en: LanguageMessage | None = None

    @model_validator(mode="after")
    def _some_language(self) -> Messages:
        if not any(getattr(self, language) for language in LANGUAGES):
            raise ValueError(f"needs a message in at least one of {', '.join(LANGUAGES)}")
        return self


class AlertArea(Native):
    """Where the alert applies: named, and by municipality (NIS codes) and/or a drawn polygon.

    A name alone is allowed: a national message to every registered address names no area.
    """

    name: Name
    municipalities: list[Nis] = Field(default_factory=list, max_length=600)
    polygon: Ring | None = Field(default=None, max_length=100_000)

    @model_validator(mode="after")
    def _codes_once(self) -> AlertArea:
        if len(set(self.municipalities)) != len(self.municipalities):
            raise ValueError("lists a municipality twice")
        return self


class AlertItem(Native):
    """One message of one BE-Alert, as the partner feed sends it."""

    alert_id: AlertId
    revision: int = Field(ge=1, le=1_000_000)
    created_at: Moment
    issued_at: Moment
    status: Status
    authority: Name | None = None
    channels: list[Medium] = Field(default_factory=list, max_length=5)
    area: AlertArea
    messages: Messages
    more_info: Url | None = None
    expires_at: Moment | None = None

    @model_validator(mode="after")
    def _consistent(self) -> AlertItem:
        if self.issued_at < self.created_at:
            raise ValueError("issued_at is before created_at")
        if self.revision == 1 and self.issued_at != self.created_at:
            raise ValueError("revision 1 is the alert's first message: issued_at == created_at")
        if self.status == "ended" and self.revision == 1:
            raise ValueError("an ended message ends an earlier one: its revision is 2 or more")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("lists a channel twice")
        return self

    @property
    def thread(self) -> str:
        return f"bealert:{self.alert_id}"


def load_json(body: bytes) -> Any:
    """Strict JSON, as the hub's own channels read it (UTF-8, no NaN, no key twice, bounded)."""
    return strict_load_json(body, max_bytes=MAX_BYTES)
