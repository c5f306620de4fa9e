"""Each installed channel's view, materialized: the public alerts it selects, rendered natively.

One projection keeps the view of every channel, so each event is folded once and rendered for
each channel that selects the alert. Each rendering is a row valid from the version it rendered
until the next one replaced it, so the view now and the view as it was shown at any moment are
both one indexed page. It keeps its own copy of each alert's state (it never reads another
projection's tables, so it can be rebuilt on its own). A channel installed later appears after
`alerthub projections rebuild views`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from adapters.base import Channel
from domain.alert import PersonalDataErased
from domain.lifetimes import NEVER, Lifetimes
from domain.personal import ERASED
from domain.state import AlertState, Lifecycle
from projections import schema
from projections.alerts import lifecycle_sql, valid_at
from projections.database import Connection
from projections.dialect import upsert
from projections.paging import Page, decode, newest_first, page_of
from projections.states import StateTables, bare, utc_text
from projections.stream import Event

VIEW_COLUMNS = (
    "channel",
    "alert_id",
    "version",
    "valid_from",
    "valid_to",
    "ended",
    "expires_at",
    "sent",
    "native",
    "lost",
)


class ChannelViewsProjection:
    tables: tuple[str, ...] = ("view_states", "view_messages", "channel_views")

    def __init__(
        self, channels: Mapping[str, Channel], prefix: str = "", lifetimes: Lifetimes = NEVER
    ) -> None:
        self.channels, self.prefix, self.lifetimes = channels, prefix, lifetimes
        self.name = f"{prefix}views"
        self.states = StateTables(f"{prefix}view_states", f"{prefix}view_messages")

    def create_tables(self, conn: Connection) -> None:
        schema.create(conn, schema.CHANNEL_VIEWS, self.prefix)

    def apply(self, conn: Connection, event: Event) -> None:
        folded = self.states.fold(conn, event)
        if folded is None:
            return
        folded = self.lifetimes.stamp(folded)
        conn.execute(
            upsert(f"{self.prefix}view_states", ("alert_id", "version", "state"), ("alert_id",)),
            (str(folded.alert_id), folded.version, bare(folded)),
        )
        erasing = isinstance(event, PersonalDataErased)
        if erasing:  # the kept messages first: the rendering below reads them
            self.states.erase_history(conn, folded)
        (state,) = self.states.whole(conn, [folded])
        for name, channel in self.channels.items():
            self._render(conn, name, channel, state)
        if erasing:
            self._erase_renderings(conn, state)

    def _erase_renderings(self, conn: Connection, state: AlertState) -> None:
        """The renderings from before an erasure showed the erased fields in each channel's own
        shape: they read as erased, so an as-of view still lists the alert then, its native
        shape empty and `lost` saying why."""
        conn.execute(
            f"UPDATE {self.prefix}channel_views SET native=?, lost=?"
            " WHERE alert_id=? AND valid_to IS NOT NULL",
            ("{}", json.dumps([ERASED]), str(state.alert_id)),
        )

    def _render(self, conn: Connection, name: str, channel: Channel, state: AlertState) -> None:
        p, alert_id, at = self.prefix, str(state.alert_id), utc_text(state.updated_at)
        conn.execute(
            f"UPDATE {p}channel_views SET valid_to=?"
            " WHERE channel=? AND alert_id=? AND valid_to IS NULL",
            (at, name, alert_id),
        )
        if not (state.is_public and channel.selects(state)):
            return
        rendering = channel.render(state)
        conn.execute(
            upsert(f"{p}channel_views", VIEW_COLUMNS, ("channel", "alert_id", "version")),
            (
                name,
                alert_id,
                state.version,
                at,
                None,
                int(state.ended is not None),
                utc_text(state.expires_at),
                utc_text(state.current.sent),
                json.dumps(rendering.native, ensure_ascii=False),
                json.dumps(list(rendering.lost)),
            ),
        )


def view_page(
    conn: Connection,
    channel: str,
    lifecycle: Lifecycle | None,
    now: datetime,
    as_of: datetime | None = None,
    *,
    limit: int = 100,
    cursor: str | None = None,
) -> Page[dict[str, Any]]:
    """A page of a channel's view now or as shown at `as_of`, newest first."""
    where, params = ["channel = ?"], [channel]  # type: tuple[list[str], list[Any]]
    clause, values = valid_at("", as_of)
    where.append(clause)
    params += values
    if lifecycle is not None:
        clause, values = lifecycle_sql(lifecycle, as_of or now)
        where.append(clause)
        params += values
    clause, values, order = newest_first(decode(cursor, 2))
    where.append(clause)
    params += values
    rows = conn.execute(
        f"SELECT sent, alert_id, version, native, lost FROM channel_views"
        f" WHERE {' AND '.join(where)} {order} LIMIT ?",
        [*params, limit + 1],
    ).fetchall()
    page = page_of(rows, limit, lambda row: (row[0], row[1]))
    items = [
        {
            "alert_id": row[1],
            "version": row[2],
            "native": json.loads(row[3]),
            "lost": json.loads(row[4]),
        }
        for row in page.items
    ]
    return Page(items, page.next)
