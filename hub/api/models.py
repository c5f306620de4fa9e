"""The API's answers as typed models: what `/openapi.json` promises, checked on every response.

The documents are built by the projections as plain JSON; these models describe them (and FastAPI
validates each answer against them), so the published schema cannot drift from what is sent.
Models allow extra keys: adding a field to an answer is compatible, removing one is not.
Nested CAP structures reuse the domain's own schema (`Info`, `Origin`) rather than a copy.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from domain.model import Info, Moment
from domain.provenance import SignatureVerdict
from domain.state import Ending, Erasure, Origin

# Documents as the domain serializes them, described by the domain's schema, passed through as is.
InfoDocument = Annotated[
    dict[str, Any], WithJsonSchema(Info.model_json_schema(mode="serialization"))
]
OriginDocument = Annotated[
    dict[str, Any], WithJsonSchema(Origin.model_json_schema(mode="serialization"))
]
EndingDocument = Annotated[
    dict[str, Any], WithJsonSchema(Ending.model_json_schema(mode="serialization"))
]
SignatureDocument = Annotated[
    dict[str, Any], WithJsonSchema(SignatureVerdict.model_json_schema(mode="serialization"))
]
ErasureDocument = Annotated[
    dict[str, Any], WithJsonSchema(Erasure.model_json_schema(mode="serialization"))
]
LifecycleName = Literal["active", "ended", "expired"]


class Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class Paged(Answer):
    """One page of a list; `next` is the cursor of the following page (`?cursor=`), or null."""

    next: str | None = Field(description="Pass as `cursor` for the next page; null: the last")


class EventRef(Answer):
    type: str = Field(description="The recorded event's type, e.g. AlertIssued")
    version: int = Field(ge=1)


class AcceptedAlert(Answer):
    alert_id: UUID
    events: list[EventRef] = Field(description="Events recorded for this alert (none: duplicate)")


class Accepted(Answer):
    """A message durably recorded: the alerts it touched and how many were duplicates."""

    accepted: list[AcceptedAlert]
    duplicates: int = Field(ge=0)


class ChannelInfo(Answer):
    name: str
    media_types: list[str]


class ChannelList(Paged):
    items: list[ChannelInfo]


class Alert(Answer):
    """The canonical alert (CAP 1.2 names in snake_case), lifecycle derived when read."""

    alert_id: UUID
    version: int = Field(ge=1)
    lifecycle: LifecycleName
    origin: OriginDocument
    status: Literal["Actual", "Exercise", "System", "Test", "Draft"]
    msg_type: str
    scope: str
    sender: str
    identifier: str
    sent: Moment  # CAP date-times keep the sender's offset, UTC as -00:00
    incidents: list[str]
    info: list[InfoDocument]
    ended: EndingDocument | None
    erased: ErasureDocument | None = Field(
        default=None,
        description="Who erased the alert's personal data, when and why; its personal fields"
        " then read [personal data erased] (links are left out)",
    )
    channels: list[str]
    expires: Moment | None
    expires_assumed: bool = False
    recorded_at: datetime
    updated_at: datetime
    signature: SignatureDocument | None = Field(
        default=None,
        description="The hub's verdict on the XML signature of the message shown, checked on"
        " arrival against the publisher's pinned certificates (null: recorded before verdicts)",
    )


class AlertList(Paged):
    as_of: datetime | None
    items: list[Alert]


class AlertHistoryEvent(Answer):
    type: str
    alert_id: UUID
    version: int = Field(ge=1)
    recorded_at: datetime
    channel: str | None


class AlertHistory(Paged):
    alert_id: UUID
    items: list[AlertHistoryEvent]


class ViewItem(Answer):
    alert_id: UUID
    version: int = Field(ge=1)
    native: dict[str, Any] = Field(description="The alert in the channel's own (JSON) shape")


class ChannelView(Paged):
    channel: str
    as_of: datetime | None
    items: list[ViewItem]


class Incident(Answer):
    incident_id: UUID
    lifecycle: LifecycleName
    alerts: list[dict[str, Any]]


class IncidentList(Paged):
    as_of: datetime | None
    items: list[Incident]


class SuggestionAnswer(Answer):
    """Two alerts of different systems that may be one incident, and any verdict on record."""

    suggestion_id: UUID
    alert_ids: list[UUID] = Field(min_length=2, max_length=2)
    score: float = Field(ge=0, le=1)
    reasons: list[str]
    status: Literal["suggested", "confirmed", "rejected"]
    reviewed_by: str | None = Field(description="The partner who gave the verdict on record")
    review_reason: str | None


class SuggestionList(Answer):
    items: list[SuggestionAnswer]


class Health(Answer):
    status: Literal["ok"]


class Readiness(Answer):
    status: Literal["ready", "degraded", "not ready", "rebuilding"]
    checks: dict[str, dict[str, Any]]
