"""CAP out: Atom feeds of the active public alerts and each alert's CAP 1.2 document.

`GET /v1/feeds/all.atom` lists every active public alert, `GET /v1/feeds/{channel}.atom` those
the channel's view selects; each entry links to `GET /v1/alerts/{alert_id}.cap`, a stable URL
whose document is the alert's current message as CAP 1.2 XML. Public means what the public may
see: status Actual and scope Public; anything else is not in a feed and its CAP URL is a 404.
All three answer conditional GETs (ETag, Last-Modified, 304).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from adapters.cap.atom import ATOM_MEDIA_TYPE, CAP_MEDIA_TYPE, render_feed
from adapters.cap.render import render_cap
from domain.errors import AlertNotFoundError
from domain.state import AlertState
from hub.api.conditional import conditional_response
from hub.api.deps import HubDep
from hub.bootstrap import Hub
from projections.alerts import AlertQuery, find_alerts, get_alert, last_change

router = APIRouter(prefix="/v1")
ALL = "all"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FEED_LIMIT = 10_000
_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "not modified since the client's ETag or date"}
}


@router.get(
    "/feeds/{feed}.atom",
    tags=["feeds"],
    response_class=Response,
    responses={
        200: {"content": {ATOM_MEDIA_TYPE: {}}, "description": "an Atom 1.0 feed"},
        **_NOT_MODIFIED,
    },
)
async def atom_feed(feed: str, request: Request, hub: HubDep) -> Response:
    """The active public alerts as Atom: `all`, or the alerts a channel's view selects."""
    now = datetime.now(UTC)
    states, changed = await run_in_threadpool(_feed_states, hub, feed, now)
    base = str(request.base_url)
    body = render_feed(
        feed_id=f"{base}v1/feeds/{feed}.atom",
        title="AlertHub: all public alerts" if feed == ALL else f"AlertHub: {feed} alerts",
        self_url=str(request.url.remove_query_params(list(request.query_params))),
        updated=changed,
        alerts=states,
        cap_url=lambda state: f"{base}v1/alerts/{state.alert_id}.cap",
    )
    return conditional_response(request, body, ATOM_MEDIA_TYPE, changed)


def _feed_states(hub: Hub, feed: str, now: datetime) -> tuple[list[AlertState], datetime]:
    selects = (lambda _: True) if feed == ALL else hub.service.channel(feed).selects
    conn = hub.views.connect()
    query = AlertQuery(limit=_FEED_LIMIT, readable=frozenset())  # public alerts only
    public = [state for state in find_alerts(conn, query, now).items if selects(state)]
    return public, last_change(conn, now) or _EPOCH


@router.get(
    "/alerts/{alert_id}.cap",
    tags=["feeds"],
    response_class=Response,
    responses={
        200: {"content": {CAP_MEDIA_TYPE: {}}, "description": "the alert as CAP 1.2 XML"},
        **_NOT_MODIFIED,
    },
)
def alert_cap(alert_id: UUID, request: Request, hub: HubDep) -> Response:
    """The alert's current message as a CAP 1.2 document (public alerts only)."""
    state = get_alert(hub.views.connect(), alert_id)
    if state is None or not state.current.is_public:
        raise AlertNotFoundError(f"no public alert {alert_id}")
    body = render_cap(state.current).encode()
    return conditional_response(request, body, CAP_MEDIA_TYPE, state.updated_at)
