"""Each channel's view in its own native shape, and incidents across channels, a page at a time."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from domain.errors import NotFoundError
from domain.rights import readable_channels
from domain.state import Lifecycle
from hub.api.auth import ReaderDep
from hub.api.deps import ReadsDep, ServiceDep
from hub.api.models import ChannelView, Incident, IncidentList
from hub.api.params import AsOf, Cursor, Limit

router = APIRouter(prefix="/v1")
LifecycleFilter = Literal["active", "ended", "expired", "all"]


def _lifecycle(chosen: LifecycleFilter) -> Lifecycle | None:
    return None if chosen == "all" else Lifecycle(chosen)


@router.get("/views/{channel}", tags=["views"], response_model=ChannelView)
def channel_view(
    channel: str,
    service: ServiceDep,
    reads: ReadsDep,
    lifecycle: LifecycleFilter = "active",
    as_of: AsOf = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The public alerts a channel selects, rendered in its native shape (Test/Exercise never).

    Now, or as the view showed them at `as_of`: both are the materialized renderings.
    """
    service.channel(channel)  # 404 for a channel that is not installed
    page = reads.view(channel, _lifecycle(lifecycle), as_of, limit=limit, cursor=cursor)
    return {"channel": channel, "as_of": as_of, "items": page.items, "next": page.next}


Tests = Annotated[
    bool, Query(description="include Test, Exercise and other non-Actual alerts (kept out)")
]


@router.get("/incidents", tags=["incidents"], response_model=IncidentList)
def list_incidents(
    reads: ReadsDep,
    reader: ReaderDep,
    lifecycle: LifecycleFilter = "active",
    as_of: AsOf = None,
    limit: Limit = 100,
    cursor: Cursor = None,
    tests: Tests = False,
) -> dict[str, Any]:
    """Alerts of all channels grouped into incidents, most recently opened first.

    The public sees the public alerts of each incident; a partner also those of its channels,
    and with `tests=true` their Test, Exercise and other non-Actual alerts. An incident with no
    alert shown is left out of its page.
    """
    page = reads.incidents(
        _lifecycle(lifecycle),
        as_of,
        limit=limit,
        cursor=cursor,
        readable=readable_channels(reader),
        actual_only=not tests,
    )
    return {"as_of": as_of, "items": page.items, "next": page.next}


@router.get("/incidents/{incident}", tags=["incidents"], response_model=Incident)
def read_incident(
    incident: UUID, reads: ReadsDep, reader: ReaderDep, as_of: AsOf = None, tests: Tests = False
) -> dict[str, Any]:
    """One incident; the id of an incident merged into another answers with the one it joined."""
    readable = readable_channels(reader)
    found = reads.incident(incident, as_of, readable=readable, actual_only=not tests)
    if found is None:
        raise NotFoundError(f"no incident {incident}")
    return found
