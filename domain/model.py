"""Canonical value objects, shaped after CAP 1.2 (OASIS, 2010) with snake_case names.

One `AlertMessage` is one CAP `alert`: identity, handling, and one `Info` block per language.
Validation follows the CAP 1.2 rules that a consumer relies on (the CAP 1.2 standard, section 3):
aware date-times, closed polygons of at least four points, coordinates in range, radius in km,
references as `sender,identifier,sent` triples. Everything is immutable so it can be shared and
hashed safely.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

from domain.geocodes import validate_geocode


class Value(BaseModel):
    """Base of every value object: frozen, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Status(StrEnum):
    ACTUAL = "Actual"
    EXERCISE = "Exercise"
    SYSTEM = "System"
    TEST = "Test"
    DRAFT = "Draft"

    @property
    def is_public(self) -> bool:
        """Only Actual alerts ever reach a public view; the rest are kept for history."""
        return self is Status.ACTUAL


class MsgType(StrEnum):
    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"
    ACK = "Ack"
    ERROR = "Error"


class Scope(StrEnum):
    PUBLIC = "Public"
    RESTRICTED = "Restricted"
    PRIVATE = "Private"


class Category(StrEnum):
    GEO = "Geo"
    MET = "Met"
    SAFETY = "Safety"
    SECURITY = "Security"
    RESCUE = "Rescue"
    FIRE = "Fire"
    HEALTH = "Health"
    ENV = "Env"
    TRANSPORT = "Transport"
    INFRA = "Infra"
    CBRNE = "CBRNE"
    OTHER = "Other"


class ResponseType(StrEnum):
    SHELTER = "Shelter"
    EVACUATE = "Evacuate"
    PREPARE = "Prepare"
    EXECUTE = "Execute"
    AVOID = "Avoid"
    MONITOR = "Monitor"
    ASSESS = "Assess"
    ALL_CLEAR = "AllClear"
    NONE = "None"


class Urgency(StrEnum):
    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"
    FUTURE = "Future"
    PAST = "Past"
    UNKNOWN = "Unknown"


class Severity(StrEnum):
    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"
    UNKNOWN = "Unknown"


class Certainty(StrEnum):
    OBSERVED = "Observed"
    LIKELY = "Likely"
    POSSIBLE = "Possible"
    UNLIKELY = "Unlikely"
    UNKNOWN = "Unknown"


_FORBIDDEN_IN_IDS = re.compile(r"[\s,<&]")


def _cap_id(value: str) -> str:
    """CAP 1.2: identifier and sender MUST NOT include spaces, commas or the characters < and &."""
    if not value:
        raise ValueError("must not be empty")
    if _FORBIDDEN_IN_IDS.search(value):
        raise ValueError("must not contain whitespace, ',' '<' or '&' (CAP 1.2)")
    return value


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value: str) -> str:
    """Every text must survive CAP XML: no control characters (tab, LF and CR are fine)."""
    if found := _NOT_XML.search(value):
        raise ValueError(f"contains a control character U+{ord(found.group()):04X}")
    return value


def _whole_minute_offset(value: datetime) -> datetime:
    """CAP offsets are hh:mm; an offset with seconds could not be written back unchanged."""
    offset = value.utcoffset()
    if offset is not None and offset.total_seconds() % 60:
        raise ValueError("the UTC offset must be whole minutes (CAP: ±hh:mm)")
    return value


def cap_datetime(value: datetime) -> str:
    """CAP 1.2's date-time form: the sender's own offset, and UTC written `-00:00`, never `Z`.

    CAP (§3.3.2) allows exactly one spelling of UTC. Every place that shows a CAP date-time (the
    XML, the JSON, the Avro stream) uses this form, so a reference `sender,identifier,sent` built
    from it matches the `sent` of the message it names, character for character.
    """
    text = value.isoformat()
    return text[:-6] + "-00:00" if text.endswith("+00:00") else text


CapId = Annotated[str, Field(max_length=512), AfterValidator(_cap_id)]
Text = Annotated[str, Field(max_length=65_536), AfterValidator(_xml_text)]
ShortText = Annotated[str, Field(min_length=1, max_length=1024), AfterValidator(_xml_text)]
Moment = Annotated[
    AwareDatetime,
    AfterValidator(_whole_minute_offset),
    PlainSerializer(cap_datetime, return_type=str, when_used="json"),
]


def _coordinate(pair: tuple[float, float]) -> tuple[float, float]:
    lat, lon = pair
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} is outside -90..90")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} is outside -180..180")
    return pair


Coordinate = Annotated[tuple[float, float], AfterValidator(_coordinate)]


def _closed_ring(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(points) < 4:
        raise ValueError(f"a polygon needs at least 4 coordinate pairs, got {len(points)}")
    if points[0] != points[-1]:
        raise ValueError("a polygon must be closed: the first and last pairs must be equal")
    return points


Polygon = Annotated[list[Coordinate], Field(max_length=100_000), AfterValidator(_closed_ring)]


class Circle(Value):
    """A WGS 84 centre and a radius in kilometres (CAP's unit; 0 means a point)."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_km: float = Field(ge=0, le=20_037.5)


class NamedValue(Value):
    """CAP's valueName/value pair, used by parameters and event codes."""

    name: ShortText
    value: Text


class Geocode(NamedValue):
    """A coded area; Dutch code systems are checked (see `domain.geocodes`)."""

    @model_validator(mode="after")
    def _known_systems_are_valid(self) -> Geocode:
        validate_geocode(self.name, self.value)
        return self


class Resource(Value):
    description: ShortText
    mime_type: ShortText
    size: int | None = Field(default=None, ge=0)
    uri: str | None = Field(default=None, max_length=4096)
    deref_uri: str | None = None
    digest: str | None = Field(default=None, max_length=256)


class Area(Value):
    """One CAP area. Numbers are also kept as the sender wrote them, where that differs.

    A float cannot say whether it was written `52.530` or `52.53`, `0.0` or `0`; a hub that relays
    CAP must give back what the authority wrote. So when the text of an area's polygons, circles,
    altitude or ceiling is not the shortest form of its numbers, the parser keeps the element text
    in the `written_*` fields beside the parsed values, and the CAP renderer writes it back. The
    validator checks the text still says the same numbers, so the two can never disagree.
    """

    description: Text
    polygons: list[Polygon] = Field(default_factory=list)
    circles: list[Circle] = Field(default_factory=list)
    geocodes: list[Geocode] = Field(default_factory=list)
    altitude: float | None = None
    ceiling: float | None = None
    written_polygons: list[Text] = Field(default_factory=list)
    written_circles: list[Text] = Field(default_factory=list)
    written_altitude: Text | None = None
    written_ceiling: Text | None = None

    @model_validator(mode="after")
    def _ceiling_needs_altitude(self) -> Area:
        if self.ceiling is not None:
            if self.altitude is None:
                raise ValueError("ceiling requires altitude (CAP 1.2)")
            if self.altitude > self.ceiling:
                raise ValueError("altitude must not exceed ceiling")
        return self

    @model_validator(mode="after")
    def _written_says_the_same(self) -> Area:
        """Kept text is a lexical form of exactly the parsed numbers, or it is refused."""
        if self.written_polygons and [_numbers(t) for t in self.written_polygons] != [
            [v for point in ring for v in point] for ring in self.polygons
        ]:
            raise ValueError("written_polygons do not say the same numbers as polygons")
        if self.written_circles and [_numbers(t) for t in self.written_circles] != [
            [c.lat, c.lon, c.radius_km] for c in self.circles
        ]:
            raise ValueError("written_circles do not say the same numbers as circles")
        for text, value in (
            (self.written_altitude, self.altitude),
            (self.written_ceiling, self.ceiling),
        ):
            if text is not None and _numbers(text) != [value]:
                raise ValueError(f"written text {text!r} does not say {value}")
        return self


_NUMBER_SEPARATORS = re.compile(r"[\s,]+")


def _numbers(text: str) -> list[float]:
    """The numbers a polygon, circle or altitude text says, in order (ValueError if not numbers)."""
    return [float(part) for part in _NUMBER_SEPARATORS.split(text.strip()) if part]


def _absolute_uri(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:\S+", value):
        raise ValueError("web must be a full absolute URI")
    return value


class Info(Value):
    """One info block: the message in one language for one event."""

    language: Annotated[str, Field(pattern=r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")] = "en-US"
    category: list[Category] = Field(min_length=1)
    event: Text
    response_type: list[ResponseType] = Field(default_factory=list)
    urgency: Urgency
    severity: Severity
    certainty: Certainty
    audience: Text | None = None
    event_codes: list[NamedValue] = Field(default_factory=list)
    effective: Moment | None = None
    onset: Moment | None = None
    expires: Moment | None = None
    sender_name: Text | None = None
    headline: Text | None = None
    description: Text | None = None
    instruction: Text | None = None
    web: Annotated[str | None, AfterValidator(_absolute_uri)] = None
    contact: Text | None = None
    parameters: list[NamedValue] = Field(default_factory=list)
    resources: list[Resource] = Field(default_factory=list)
    areas: list[Area] = Field(default_factory=list)

    def parameter(self, name: str) -> str | None:
        """The first parameter of that name, for channel-specific fields carried as parameters."""
        return next((p.value for p in self.parameters if p.name == name), None)


class MessageRef(Value):
    """An extended message identifier, as in CAP `references`: `sender,identifier,sent`."""

    sender: CapId
    identifier: CapId
    sent: Moment

    @classmethod
    def parse(cls, triple: str) -> MessageRef:
        parts = triple.split(",")
        if len(parts) != 3:
            raise ValueError(f"reference {triple!r} is not a sender,identifier,sent triple")
        return cls(sender=parts[0], identifier=parts[1], sent=datetime.fromisoformat(parts[2]))

    @property
    def key(self) -> str:
        """The identity that deduplicates messages: CAP identifiers are unique per sender."""
        return f"{self.sender}|{self.identifier}"


_NEEDS_REFERENCES = {MsgType.UPDATE, MsgType.CANCEL, MsgType.ACK, MsgType.ERROR}


class AlertMessage(Value):
    """One CAP `alert` message, as a partner published it (through whichever channel)."""

    identifier: CapId
    sender: CapId
    sent: Moment
    status: Status
    msg_type: MsgType
    source: Text | None = None
    scope: Scope
    restriction: Text | None = None
    addresses: Text | None = None
    codes: list[Text] = Field(default_factory=list)
    note: Text | None = None
    references: list[MessageRef] = Field(default_factory=list)
    incidents: list[Annotated[str, Field(min_length=1, max_length=512)]] = Field(
        default_factory=list
    )
    info: list[Info] = Field(default_factory=list)
    signature: str | None = Field(default=None, description="An enveloped XML-DSig, kept verbatim")

    @model_validator(mode="after")
    def _cap_rules(self) -> AlertMessage:
        if self.msg_type in _NEEDS_REFERENCES and not self.references:
            raise ValueError(f"msgType {self.msg_type} requires references to earlier messages")
        if self.scope is Scope.PRIVATE and not self.addresses:
            raise ValueError("scope Private requires addresses (CAP 1.2)")
        if self.scope is Scope.RESTRICTED and not self.restriction:
            raise ValueError("scope Restricted requires restriction (CAP 1.2)")
        if any(ref.key == self.key for ref in self.references):
            raise ValueError("a message must not reference itself")
        return self

    @property
    def is_public(self) -> bool:
        """Public data: an Actual alert for the Public; the rest is for the channel's partners."""
        return self.status.is_public and self.scope is Scope.PUBLIC

    @property
    def key(self) -> str:
        return f"{self.sender}|{self.identifier}"

    @property
    def ref(self) -> MessageRef:
        return MessageRef(sender=self.sender, identifier=self.identifier, sent=self.sent)

    def digest(self) -> str:
        """A content fingerprint: the same message posted twice has the same digest."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()

    def latest_expiry(self) -> datetime | None:
        """When every info block has expired; None if any block never expires (or none exist)."""
        expiries = [info.expires for info in self.info]
        if not expiries or any(e is None for e in expiries):
            return None
        return max(e for e in expiries if e is not None)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)
