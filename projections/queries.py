"""The read side as one object: what the HTTP API (and anything else) may ask the views.

Read routes depend on this, not on the whole hub. Every list is one page (`Page`: items and the
cursor of the next page) read with indexed SQL, so a request costs its page, not the length of
history.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from adapters.base import Channel
from domain.state import AlertState, Lifecycle
from projections.alerts import AlertQuery, Covers, find_alerts, get_alert
from projections.channel_views import Renderer, view_page
from projections.database import ViewDatabase
from projections.incidents import Shown, find_incident, incident_page
from projections.paging import Page


def _now() -> datetime:
    return datetime.now(UTC)


class ReadModel:
    """`channels` render the views' rows on their first read; `covers` is the exact test of a
    point against an alert's area (the hub's geography)."""

    def __init__(
        self,
        views: ViewDatabase,
        channels: Mapping[str, Channel],
        covers: Covers | None = None,
    ) -> None:
        self.views = views
        self._renderer = Renderer(channels)
        self._covers = covers

    def alerts(self, query: AlertQuery, as_of: datetime | None = None) -> Page[AlertState]:
        return find_alerts(self.views.connect(), query, _now(), as_of, self._covers)

    def alert(self, alert_id: UUID, as_of: datetime | None = None) -> AlertState | None:
        return get_alert(self.views.connect(), alert_id, as_of)

    def view(
        self,
        channel: str,
        lifecycle: Lifecycle | None,
        as_of: datetime | None = None,
        *,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[dict[str, Any]]:
        return view_page(
            self.views.connect(),
            channel,
            lifecycle,
            _now(),
            as_of,
            renderer=self._renderer,
            limit=limit,
            cursor=cursor,
        )

    def incidents(
        self,
        lifecycle: Lifecycle | None,
        as_of: datetime | None = None,
        *,
        limit: int = 100,
        cursor: str | None = None,
        readable: frozenset[str] | None = None,
        actual_only: bool = False,
    ) -> Page[dict[str, Any]]:
        """`readable`: channels whose non-public alerts are shown too (None: every alert);
        `actual_only`: Test, Exercise and other non-Actual alerts left out."""
        return incident_page(
            self.views.connect(),
            lifecycle,
            _now(),
            as_of,
            limit=limit,
            cursor=cursor,
            shown=Shown(readable, actual_only),
        )

    def incident(
        self,
        incident: UUID,
        as_of: datetime | None = None,
        readable: frozenset[str] | None = None,
        actual_only: bool = False,
    ) -> dict[str, Any] | None:
        shown = Shown(readable, actual_only)
        return find_incident(self.views.connect(), incident, _now(), as_of, shown)
