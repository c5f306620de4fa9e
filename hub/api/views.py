"""Each channel's view in its own native shape, and incidents across channels."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from domain.errors import NotFoundError
from domain.rights import Publisher, may_read
from domain.state import AlertState, Lifecycle
from hub.api.auth import ReaderDep
from hub.api.deps import HubDep
from hub.api.models import ChannelView, Incident, IncidentList
from hub.api.params import AsOf
from hub.bootstrap import Hub
from projections.alerts import AlertQuery, query_alerts
from projections.channel_views import view_items
from projections.incidents import group, incident_document, incident_id

router = APIRouter(prefix="/v1")
LifecycleFilter = Literal["active", "ended", "expired", "all"]


def _states(hub: Hub, lifecycle: LifecycleFilter, as_of: datetime | None) -> list[AlertState]:
    query = AlertQuery(
        lifecycle=None if lifecycle == "all" else Lifecycle(lifecycle), limit=1_000_000
    )
    return query_alerts(hub.views.connect(), query, as_of or datetime.now(UTC), as_of)


@router.get("/views/{channel}", tags=["views"], response_model=ChannelView)
def channel_view(
    channel: str, hub: HubDep, lifecycle: LifecycleFilter = "active", as_of: AsOf = None
) -> dict[str, Any]:
    """The public alerts a channel selects, rendered in its native shape (Test/Exercise never).

    Now: the materialized view. As of a moment: rendered from the alert states recorded then.
    """
    plugin = hub.service.channel(channel)
    if as_of is None:
        chosen = None if lifecycle == "all" else Lifecycle(lifecycle)
        items = view_items(hub.views.connect(), channel, chosen, datetime.now(UTC))
        return {"channel": channel, "as_of": None, "items": items}
    items = []
    for state in _states(hub, lifecycle, as_of):
        if state.is_public and plugin.selects(state):
            rendering = plugin.render(state)
            items.append(
                {
                    "alert_id": str(state.alert_id),
                    "version": state.version,
                    "native": rendering.native,
                    "lost": list(rendering.lost),
                }
            )
    return {"channel": channel, "as_of": as_of, "items": items}


Tests = Annotated[
    bool, Query(description="include Test, Exercise and other non-Actual alerts (kept out)")
]


def _readable(
    hub: Hub, reader: Publisher | None, as_of: datetime | None, tests: bool
) -> list[AlertState]:
    """Alerts that form incidents: those the reader may read, Actual ones only unless tests are
    asked for (the public never sees a non-Actual alert either way)."""
    return [
        s
        for s in _states(hub, "all", as_of)
        if may_read(reader, s.channels, s.current.is_public)
        and (tests or s.current.status.is_public)
    ]


@router.get("/incidents", tags=["incidents"], response_model=IncidentList)
def list_incidents(
    hub: HubDep,
    reader: ReaderDep,
    lifecycle: LifecycleFilter = "active",
    as_of: AsOf = None,
    tests: Tests = False,
) -> dict[str, Any]:
    """Alerts of all channels grouped into incidents (the public: public alerts only)."""
    now = as_of or datetime.now(UTC)
    documents = [incident_document(g, now) for g in group(_readable(hub, reader, as_of, tests))]
    if lifecycle != "all":
        documents = [d for d in documents if d["lifecycle"] == lifecycle]
    return {"as_of": as_of, "items": documents}


@router.get("/incidents/{incident}", tags=["incidents"], response_model=Incident)
def read_incident(
    incident: UUID, hub: HubDep, reader: ReaderDep, as_of: AsOf = None, tests: Tests = False
) -> dict[str, Any]:
    now = as_of or datetime.now(UTC)
    for states in group(_readable(hub, reader, as_of, tests)):
        if incident_id(states) == incident:
            return incident_document(states, now)
    raise NotFoundError(f"no incident {incident}")
