"""What a subscription says: who owns it, which area, which alerts, and where they go."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl, model_validator

from domain.model import Severity, Status, Urgency

LatLon = Annotated[list[float], Field(min_length=2, max_length=2)]
GEOCODE = re.compile(r"^(GM\d{4}|VR\d{2})$")
POSTCODE = re.compile(r"^\d{4}(\s?[A-Z]{2})?$")

# CAP orders these from most to least pressing; a minimum keeps this value and everything before it.
# Unknown comes last, so the default minimum (Unknown) lets every alert through.
SEVERITY_ORDER = list(Severity)
URGENCY_ORDER = list(Urgency)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AreaSpec(Frozen):
    """Exactly one of: a polygon, a circle (a point with a radius), a municipality or safety
    region code, or a Dutch postcode (4 digits, or 4 digits and 2 letters)."""

    polygon: list[LatLon] | None = Field(default=None, min_length=4, max_length=10_000)
    circle: dict[Literal["lat", "lon", "radius_km"], float] | None = None
    geocode: str | None = Field(default=None, description="GMxxxx or VRxx", max_length=6)
    postcode: str | None = Field(default=None, max_length=7)

    @model_validator(mode="after")
    def _exactly_one(self) -> AreaSpec:
        given = [k for k in ("polygon", "circle", "geocode", "postcode") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of polygon, circle, geocode, postcode")
        if self.geocode is not None and not GEOCODE.match(self.geocode):
            raise ValueError(f"geocode {self.geocode!r} is not GMxxxx or VRxx")
        if self.postcode is not None and not POSTCODE.match(self.postcode):
            raise ValueError(f"postcode {self.postcode!r} is not 1234 or 1234AB")
        if self.circle is not None:
            _check_circle(self.circle)
        if self.polygon is not None:
            _check_polygon(self.polygon)
        return self


def _check_circle(circle: dict[Literal["lat", "lon", "radius_km"], float]) -> None:
    if set(circle) != {"lat", "lon", "radius_km"}:
        raise ValueError("circle needs lat, lon and radius_km")
    if not (-90 <= circle["lat"] <= 90 and -180 <= circle["lon"] <= 180):
        raise ValueError("circle centre is out of range")
    if not 0 < circle["radius_km"] <= 500:
        raise ValueError("circle radius_km must be above 0 and at most 500")


def _check_polygon(points: list[LatLon]) -> None:
    if points[0] != points[-1]:
        raise ValueError("polygon is not closed (first point must equal the last)")
    if any(not (-90 <= lat <= 90 and -180 <= lon <= 180) for lat, lon in points):
        raise ValueError("polygon has a point out of range")


class Target(Frozen):
    """Where deliveries go: a webhook URL or an e-mail address (exactly one)."""

    webhook: HttpUrl | None = None
    email: EmailStr | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Target:
        if (self.webhook is None) == (self.email is None):
            raise ValueError("give exactly one of webhook, email")
        if self.webhook is not None and self.webhook.scheme not in {"http", "https"}:
            raise ValueError("webhook must be an http or https URL")
        return self

    @property
    def kind(self) -> Literal["webhook", "email"]:
        return "webhook" if self.webhook is not None else "email"

    @property
    def address(self) -> str:
        return str(self.webhook) if self.webhook is not None else str(self.email)


class SubscriptionRequest(Frozen):
    """What a subscriber asks for; everything but the area and the target has a default."""

    area: AreaSpec
    target: Target
    channels: list[str] = Field(default_factory=list, description="Empty: every channel")
    min_severity: Severity = Severity.UNKNOWN
    min_urgency: Urgency = Urgency.UNKNOWN
    statuses: list[Status] = Field(default_factory=lambda: [Status.ACTUAL], min_length=1)
    language: str = Field(default="nl", pattern=r"^[a-z]{2}$")
    label: str | None = Field(default=None, max_length=200)


class State(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    PAUSED = "paused"


class Subscription(Frozen):
    subscription_id: UUID
    owner: str
    request: SubscriptionRequest
    state: State
    pause_reason: str | None = None
    created_at: datetime

    def document(self) -> dict[str, Any]:
        """The subscription as the API and the CLI show it (the secret is never part of it)."""
        return {
            "subscription_id": str(self.subscription_id),
            "owner": self.owner,
            "state": self.state.value,
            "pause_reason": self.pause_reason,
            "created_at": self.created_at.isoformat(),
            **self.request.model_dump(mode="json"),
        }

    def wants(self, status: Status, severity: Severity, urgency: Urgency, channel: str) -> bool:
        """Whether an alert passes this subscription's filters; the area is matched apart."""
        req = self.request
        return (
            status in req.statuses
            and (not req.channels or channel in req.channels)
            and SEVERITY_ORDER.index(severity) <= SEVERITY_ORDER.index(req.min_severity)
            and URGENCY_ORDER.index(urgency) <= URGENCY_ORDER.index(req.min_urgency)
        )
