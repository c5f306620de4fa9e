"""Each installed channel's view, materialized: the public alerts it selects, rendered natively.

One projection keeps the view of every channel, so each event is folded once and rendered for
each channel that selects the alert. It keeps its own copy of each alert's state (it never
reads another projection's tables, so it can be rebuilt on its own). A channel installed later
appears after `alerthub projections rebuild views`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from adapters.base import Channel
from domain.lifetimes import NEVER, Lifetimes
from domain.state import AlertState, Lifecycle
from projections.alerts import LIFECYCLE_SQL, fold_into, utc_text
from projections.database import Connection
from projections.stream import Event

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {p}view_states (alert_id TEXT PRIMARY KEY,"
    " version INTEGER NOT NULL, state TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}channel_views (channel TEXT NOT NULL, alert_id TEXT NOT NULL,"
    " version INTEGER NOT NULL, ended INTEGER NOT NULL, expires_at TEXT, sent TEXT NOT NULL,"
    " native TEXT NOT NULL, lost TEXT NOT NULL, PRIMARY KEY (channel, alert_id))",
    "CREATE INDEX IF NOT EXISTS {p}channel_views_by_sent ON {p}channel_views (channel, sent DESC)",
)


class ChannelViewsProjection:
    tables: tuple[str, ...] = ("view_states", "channel_views")

    def __init__(
        self, channels: Mapping[str, Channel], prefix: str = "", lifetimes: Lifetimes = NEVER
    ) -> None:
        self.channels, self.prefix, self.lifetimes = channels, prefix, lifetimes
        self.name = f"{prefix}views"

    def create_tables(self, conn: Connection) -> None:
        for statement in _SCHEMA:
            conn.execute(statement.format(p=self.prefix))

    def apply(self, conn: Connection, event: Event) -> None:
        state = fold_into(conn, f"{self.prefix}view_states", event)
        if state is None:
            return
        state = self.lifetimes.stamp(state)
        conn.execute(
            f"INSERT INTO {self.prefix}view_states VALUES (?,?,?) ON CONFLICT (alert_id)"
            " DO UPDATE SET version=excluded.version, state=excluded.state",
            (str(state.alert_id), state.version, state.model_dump_json()),
        )
        for name, channel in self.channels.items():
            self._render(conn, name, channel, state)

    def _render(self, conn: Connection, name: str, channel: Channel, state: AlertState) -> None:
        p, alert_id = self.prefix, str(state.alert_id)
        if not (state.is_public and channel.selects(state)):
            conn.execute(
                f"DELETE FROM {p}channel_views WHERE channel=? AND alert_id=?", (name, alert_id)
            )
            return
        rendering = channel.render(state)
        conn.execute(
            f"INSERT INTO {p}channel_views VALUES (?,?,?,?,?,?,?,?)"
            " ON CONFLICT (channel, alert_id) DO UPDATE SET version=excluded.version,"
            " ended=excluded.ended, expires_at=excluded.expires_at, sent=excluded.sent,"
            " native=excluded.native, lost=excluded.lost",
            (
                name,
                alert_id,
                state.version,
                int(state.ended is not None),
                utc_text(state.expires_at),
                utc_text(state.current.sent),
                json.dumps(rendering.native, ensure_ascii=False),
                json.dumps(list(rendering.lost)),
            ),
        )


def view_items(
    conn: Connection, channel: str, lifecycle: Lifecycle | None, now: datetime
) -> list[dict[str, Any]]:
    """A channel's materialized view, newest first; lifecycle judged against `now`."""
    where = "channel = :channel" + (f" AND {LIFECYCLE_SQL[lifecycle]}" if lifecycle else "")
    rows = conn.execute(
        f"SELECT alert_id, version, native, lost FROM channel_views WHERE {where}"
        " ORDER BY sent DESC, alert_id",
        {"channel": channel, "now": utc_text(now)},
    )
    return [
        {
            "alert_id": row["alert_id"],
            "version": row["version"],
            "native": json.loads(row["native"]),
            "lost": json.loads(row["lost"]),
        }
        for row in rows
    ]
