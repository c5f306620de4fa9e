"""The `/v1` resources: channels and their messages, canonical alerts and their history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from domain.errors import AlertNotFoundError, InvalidQueryError, PayloadTooLargeError
from domain.model import Status
from domain.rights import check_readable, readable_channels
from domain.state import Lifecycle
from hub.api.auth import Credentials, ReaderDep, partner_of
from hub.api.deps import HubDep, ReadsDep, ServiceDep
from hub.api.events import event_document
from hub.api.models import Accepted, Alert, AlertHistory, AlertList, ChannelList
from hub.api.params import AsOf, Cursor, Limit
from hub.bootstrap import Hub
from hub.service import IngestResult
from projections.alerts import AlertQuery, alert_document
from projections.paging import decode, page_of

router = APIRouter(prefix="/v1")
_LAT = r"-?(?:90(?:\.0+)?|[0-8]?\d(?:\.\d+)?)"
_LON = r"-?(?:180(?:\.0+)?|1[0-7]\d(?:\.\d+)?|\d{1,2}(?:\.\d+)?)"
POINT_PATTERN = rf"^\s*{_LAT}\s*,\s*{_LON}\s*$"  # lat -90..90, lon -180..180
CONFIRM_END_HEADER = "alerthub-confirm-end"


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it is known to exceed the limit (declared or streamed)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"body of {declared} bytes exceeds the limit of {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _accepted_body(result: IngestResult) -> dict[str, Any]:
    return {
        "accepted": [
            {
                "alert_id": str(a.alert_id),
                "events": [{"type": e.type, "version": e.version} for e in a.events],
            }
            for a in result.accepted
        ],
        "duplicates": result.duplicates,
        **(
            {"signature": result.signature.model_dump(mode="json", exclude_none=True)}
            if result.signature
            else {}
        ),
    }


@router.post(
    "/channels/{channel}/messages",
    status_code=202,
    tags=["channels"],
    response_model=Accepted,
    responses={202: {"model": Accepted, "description": "recorded durably"}},
)
async def post_message(
    channel: str,
    request: Request,
    hub: HubDep,
    _: Credentials,
    confirm_end: Annotated[
        bool,
        Query(description="A feed snapshot may end many of your alerts at once: you mean it"),
    ] = False,
) -> JSONResponse:
    """Accept one native message from an authenticated partner, within its rights.

    202 only once its events are committed to the store. A feed snapshot that would end more
    than the configured share of the partner's active alerts is refused (409, with the count)
    unless `confirm_end=true` or the header `AlertHub-Confirm-End: true` says it is meant.
    """
    if not request.headers.get("authorization"):
        partner_of(request, hub)  # 401 at once, before the body is read
    body = await read_body(request, hub.settings.max_body_bytes)
    confirmed = confirm_end or request.headers.get(CONFIRM_END_HEADER, "").lower() == "true"
    result = await run_in_threadpool(_accept, hub, request, channel, body, confirmed)
    return JSONResponse(_accepted_body(result), status_code=202)


def _accept(hub: Hub, request: Request, channel: str, body: bytes, confirmed: bool) -> IngestResult:
    """Authenticate, ingest and wait for the views in one worker thread: each hand-off between
    the event loop and a thread costs more than the store's commit."""
    publisher = partner_of(request, hub)
    try:
        result = hub.service.ingest(
            channel,
            body,
            request.headers.get("content-type"),
            publisher=publisher,
            confirm_end=confirmed,
        )
    except Exception as exc:
        hub.metrics.message(channel, exc)
        raise
    hub.metrics.message(channel, None, sum(len(a.events) for a in result.accepted))
    if result.position and hub.settings.read_your_writes_timeout > 0:
        hub.wait_for_views(result.position, hub.settings.read_your_writes_timeout)
    return result


@router.get("/channels", tags=["channels"], response_model=ChannelList)
def list_channels(service: ServiceDep) -> dict[str, Any]:
    """Every installed channel (a short list fixed by what is installed: never paged)."""
    items = [
        {"name": c.name, "media_types": list(c.media_types)} for c in service.channels.values()
    ]
    return {"items": items, "next": None}


@router.get("/alerts", tags=["alerts"], response_model=AlertList)
def list_alerts(
    reads: ReadsDep,
    reader: ReaderDep,
    lifecycle: Literal["active", "ended", "expired", "all"] = "active",
    channel: Annotated[str | None, Query(max_length=64)] = None,
    geocode: Annotated[str | None, Query(max_length=128)] = None,
    status: Status | None = None,
    point: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=POINT_PATTERN,
            description="LAT,LON (WGS 84): alerts whose area covers that place",
        ),
    ] = None,
    as_of: AsOf = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Canonical alerts (active by default), newest first, one page; with `as_of`, as then.

    The public sees Actual alerts for the Public; a partner also those of its channels.
    `geocode` finds alerts that name the code and, for a Dutch place code (`GM0363`, `VR13`,
    `PV27`), alerts whose polygons or circles overlap that place; `point` finds alerts whose area
    covers the point.
    """
    query = AlertQuery(
        lifecycle=None if lifecycle == "all" else Lifecycle(lifecycle),
        channel=channel,
        geocode=geocode,
        status=status.value if status else None,
        point=None if point is None else _lat_lon(point),
        readable=readable_channels(reader),
        limit=limit,
        cursor=cursor,
    )
    page = reads.alerts(query, as_of)
    now = as_of or datetime.now(UTC)
    return {
        "as_of": as_of,
        "items": [alert_document(s, now) for s in page.items],
        "next": page.next,
    }


def _lat_lon(text: str) -> tuple[float, float]:
    lat, lon = (float(part) for part in text.split(","))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidQueryError(f"point {text!r} is outside -90..90, -180..180", location="point")
    return lat, lon


@router.get("/alerts/{alert_id}", tags=["alerts"], response_model=Alert)
def read_alert(
    alert_id: UUID, reads: ReadsDep, reader: ReaderDep, as_of: AsOf = None
) -> dict[str, Any]:
    state = reads.alert(alert_id, as_of)
    if state is None:
        raise AlertNotFoundError(f"no alert {alert_id}" + (f" as of {as_of}" if as_of else ""))
    check_readable(reader, f"alert {alert_id}", state.channels, state.current.is_public)
    return alert_document(state, as_of or datetime.now(UTC))


@router.get("/alerts/{alert_id}/events", tags=["alerts"], response_model=AlertHistory)
def alert_events(
    alert_id: UUID,
    service: ServiceDep,
    reader: ReaderDep,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The alert's events from the store, oldest first, one page; each names its publisher
    (`provenance`). Readable as the whole alert is: public only if every message was."""
    key = decode(cursor, 1)
    after = int(key[0]) if key is not None else 0
    state = service.alert_state(alert_id)
    if state is None:
        raise AlertNotFoundError(f"no alert {alert_id}")
    public = all(m.is_public for m in state.messages)
    check_readable(reader, f"alert {alert_id}", state.channels, public)
    events = service.history(alert_id, after=after, limit=limit + 1)
    page = page_of(events, limit, lambda e: (e.originator_version,))
    return {
        "alert_id": str(alert_id),
        "items": [event_document(e) for e in page.items],
        "next": page.next,
    }
