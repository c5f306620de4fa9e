"""The canonical alerts view: each alert's current state, for queries by lifecycle, channel, area.

Rows keep the folded `AlertState` as JSON plus the columns that queries filter on. Lifecycle is
not stored: `expires_at` is, and "expired" is decided against the clock at query time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from domain.alert import AlertEvent, AlertIssued, PersonalDataErased, evolve
from domain.lifetimes import NEVER, Lifetimes
from domain.model import cap_datetime
from domain.state import AlertState, Lifecycle
from projections.database import Connection
from projections.stream import Event


def utc_text(moment: datetime | None) -> str | None:
    """A UTC timestamp whose text order is time order, for SQL comparisons."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {p}alerts (alert_id TEXT PRIMARY KEY,"
    " version INTEGER NOT NULL, status TEXT NOT NULL, ended INTEGER NOT NULL,"
    " expires_at TEXT, sent TEXT NOT NULL, thread TEXT, origin_channel TEXT NOT NULL,"
    " state TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {p}alerts_by_sent ON {p}alerts (sent DESC)",
    "CREATE INDEX IF NOT EXISTS {p}open_threads ON {p}alerts (origin_channel, ended, thread)",
    "CREATE INDEX IF NOT EXISTS {p}alerts_by_expiry ON {p}alerts (expires_at)",
    # Keyed by alert (each event rewrites an alert's rows), indexed by what queries filter on.
    "CREATE TABLE IF NOT EXISTS {p}alert_channels (alert_id TEXT, channel TEXT,"
    " PRIMARY KEY (alert_id, channel))",
    "CREATE INDEX IF NOT EXISTS {p}alerts_by_channel ON {p}alert_channels (channel, alert_id)",
    "CREATE TABLE IF NOT EXISTS {p}alert_geocodes (alert_id TEXT, value TEXT,"
    " PRIMARY KEY (alert_id, value))",
    "CREATE INDEX IF NOT EXISTS {p}alerts_by_geocode ON {p}alert_geocodes (value, alert_id)",
    "CREATE TABLE IF NOT EXISTS {p}alert_versions (alert_id TEXT NOT NULL,"
    " version INTEGER NOT NULL, recorded_at TEXT NOT NULL, state TEXT NOT NULL,"
    " PRIMARY KEY (alert_id, version))",
    "CREATE INDEX IF NOT EXISTS {p}versions_by_time ON {p}alert_versions (recorded_at, alert_id)",
)


class AlertsProjection:
    """Current state, channels, geocodes and every version of each alert (for as-of)."""

    tables: tuple[str, ...] = ("alerts", "alert_channels", "alert_geocodes", "alert_versions")

    def __init__(self, prefix: str = "", lifetimes: Lifetimes = NEVER) -> None:
        self.prefix, self.lifetimes = prefix, lifetimes
        self.name = f"{prefix}alerts"

    def create_tables(self, conn: Connection) -> None:
        for statement in _SCHEMA:
            conn.execute(statement.format(p=self.prefix))

    def apply(self, conn: Connection, event: Event) -> None:
        state = fold_into(conn, f"{self.prefix}alerts", event)
        if state is not None:
            if isinstance(event, PersonalDataErased):
                self._erase_history(conn, state)
            self._write(conn, self.lifetimes.stamp(state))

    def _erase_history(self, conn: Connection, state: AlertState) -> None:
        """Rewrite every kept version of the alert without the erased fields (as-of included)."""
        assert state.erasure is not None
        rows = conn.execute(
            f"SELECT version, state FROM {self.prefix}alert_versions WHERE alert_id=?",
            (str(state.alert_id),),
        ).fetchall()
        for row in rows:
            kept = AlertState.model_validate_json(row["state"])
            scrubbed = kept.erased(state.erasure, kept.version, kept.updated_at)
            conn.execute(
                f"UPDATE {self.prefix}alert_versions SET state=? WHERE alert_id=? AND version=?",
                (scrubbed.model_dump_json(), str(state.alert_id), row["version"]),
            )

    def _write(self, conn: Connection, state: AlertState) -> None:
        p, alert_id = self.prefix, str(state.alert_id)
        document = state.model_dump_json()
        conn.execute(
            f"INSERT INTO {p}alert_versions VALUES (?,?,?,?)",
            (alert_id, state.version, utc_text(state.updated_at), document),
        )
        conn.execute(
            f"INSERT INTO {p}alerts VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (alert_id) DO UPDATE"
            " SET version=excluded.version, status=excluded.status, ended=excluded.ended,"
            " expires_at=excluded.expires_at, sent=excluded.sent, thread=excluded.thread,"
            " origin_channel=excluded.origin_channel, state=excluded.state",
            (
                alert_id,
                state.version,
                state.current.status.value,
                int(state.ended is not None),
                utc_text(state.expires_at),
                utc_text(state.current.sent),
                state.thread,
                state.origin.channel,
                document,
            ),
        )
        conn.execute(f"DELETE FROM {p}alert_channels WHERE alert_id=?", (alert_id,))
        conn.executemany(
            f"INSERT INTO {p}alert_channels VALUES (?,?)", [(alert_id, c) for c in state.channels]
        )
        conn.execute(f"DELETE FROM {p}alert_geocodes WHERE alert_id=?", (alert_id,))
        geocodes = {g.value for info in state.current.info for a in info.areas for g in a.geocodes}
        conn.executemany(
            f"INSERT INTO {p}alert_geocodes VALUES (?,?)", [(alert_id, g) for g in geocodes]
        )


def fold_into(conn: Connection, table: str, event: Event) -> AlertState | None:
    """The alert's next state from the one kept in `table` (alert_id, version, state).

    None when the event is no alert event or is already applied (at or below the kept version):
    the stream is at-least-once, a view is exactly-once.
    """
    if not isinstance(event, AlertIssued | AlertEvent):
        return None
    row = conn.execute(
        f"SELECT version, state FROM {table} WHERE alert_id=?", (str(event.originator_id),)
    ).fetchone()
    if row is not None and row["version"] >= event.originator_version:
        return None
    return evolve(AlertState.model_validate_json(row["state"]) if row else None, event)


@dataclass(frozen=True)
class AlertQuery:
    lifecycle: Lifecycle | None = Lifecycle.ACTIVE  # None: all
    channel: str | None = None
    geocode: str | None = None
    status: str | None = None
    point: tuple[float, float] | None = None  # lat, lon: alerts whose area covers it
    limit: int = 100
    offset: int = 0


Covers = Callable[[AlertState, float, float], bool]
"""The exact test of a point against an alert's area (the composition root's geography)."""

# A geocode matches alerts that name it and alerts whose area covers that place (`places.py`);
# a point narrows by bounding box here, then `Covers` decides exactly.
_GEOCODE_SQL = (
    "a.alert_id IN (SELECT alert_id FROM alert_geocodes WHERE value = :geocode"
    " UNION SELECT alert_id FROM alert_places WHERE code = :geocode)"
)
_POINT_SQL = (
    "a.alert_id IN (SELECT alert_id FROM alert_bounds WHERE :lat BETWEEN min_lat AND max_lat"
    " AND :lon BETWEEN min_lon AND max_lon)"
)


# Lifecycle is derived at query time from two stored columns: the one rule for every view.
LIFECYCLE_SQL = {
    Lifecycle.ACTIVE: "ended = 0 AND (expires_at IS NULL OR expires_at > :now)",
    Lifecycle.ENDED: "ended = 1",
    Lifecycle.EXPIRED: "ended = 0 AND expires_at <= :now",
}


def find_alerts(
    conn: Connection, query: AlertQuery, now: datetime, covers: Covers | None = None
) -> list[AlertState]:
    where: list[str] = ["1=1"]
    params: dict[str, Any] = {"now": utc_text(now), "limit": query.limit, "offset": query.offset}
    if query.lifecycle is not None:
        where.append(LIFECYCLE_SQL[query.lifecycle])
    if query.status is not None:
        where.append("a.status = :status")
        params["status"] = query.status
    if query.channel is not None:
        where.append("a.alert_id IN (SELECT alert_id FROM alert_channels WHERE channel = :channel)")
        params["channel"] = query.channel
    if query.geocode is not None:
        where.append(_GEOCODE_SQL)
        params["geocode"] = query.geocode
    page = " LIMIT :limit OFFSET :offset"
    if query.point is not None:
        where.append(_POINT_SQL)
        params["lat"], params["lon"] = query.point
        page = ""  # the exact test comes after SQL, so the page is cut after it
    sql = (
        f"SELECT a.state FROM alerts a WHERE {' AND '.join(where)} ORDER BY a.sent DESC, a.alert_id"
    )
    found = [AlertState.model_validate_json(row[0]) for row in conn.execute(sql + page, params)]
    if query.point is None:
        return found
    exact = [s for s in found if covers is None or covers(s, *query.point)]
    return exact[query.offset : query.offset + query.limit]


def alerts_as_of(conn: Connection, moment: datetime) -> list[AlertState]:
    """Every alert as recorded at `moment`: its latest version recorded at or before then."""
    rows = conn.execute(
        "SELECT v.state FROM alert_versions v JOIN (SELECT alert_id, MAX(version) AS version"
        " FROM alert_versions WHERE recorded_at <= ? GROUP BY alert_id) m"
        " ON v.alert_id = m.alert_id AND v.version = m.version",
        (utc_text(moment),),
    )
    return [AlertState.model_validate_json(row[0]) for row in rows]


def alert_as_of(conn: Connection, alert_id: UUID, moment: datetime) -> AlertState | None:
    row = conn.execute(
        "SELECT state FROM alert_versions WHERE alert_id=? AND recorded_at <= ?"
        " ORDER BY version DESC LIMIT 1",
        (str(alert_id), utc_text(moment)),
    ).fetchone()
    return None if row is None else AlertState.model_validate_json(row[0])


def matches(
    state: AlertState, query: AlertQuery, now: datetime, places: Places | None = None
) -> bool:
    """The same filters as `find_alerts`, on states in memory (as-of queries)."""
    geocodes = {g.value for info in state.current.info for a in info.areas for g in a.geocodes}
    if query.geocode is not None and places is not None and query.geocode not in geocodes:
        geocodes |= places.codes_of(state)
    return (
        (query.lifecycle is None or state.lifecycle(now) is query.lifecycle)
        and (query.status is None or state.current.status.value == query.status)
        and (query.channel is None or query.channel in state.channels)
        and (query.geocode is None or query.geocode in geocodes)
        and (query.point is None or places is None or places.covers(state, *query.point))
    )


class Places(Protocol):
    """Where an alert lies (the hub's `geography.Geography`, handed in by the composition root)."""

    def codes_of(self, alert: AlertState) -> set[str]:
        """Codes of the places (NL, PVxx, VRxx, GMxxxx) the alert's area overlaps."""
        ...

    def bounds(self, alert: AlertState) -> tuple[float, float, float, float] | None:
        """min_lat, min_lon, max_lat, max_lon of the alert's area; None if it has no shape."""
        ...

    def covers(self, alert: AlertState, lat: float, lon: float) -> bool: ...

    def in_netherlands(self, alert: AlertState) -> bool: ...


def query_alerts(
    conn: Connection,
    query: AlertQuery,
    now: datetime,
    as_of: datetime | None = None,
    places: Places | None = None,
) -> list[AlertState]:
    """Alerts now (indexed SQL) or as recorded at `as_of` (lifecycle and expiry judged then)."""
    if as_of is None:
        return find_alerts(conn, query, now, places.covers if places else None)
    found = [s for s in alerts_as_of(conn, as_of) if matches(s, query, as_of, places)]
    found.sort(key=lambda s: str(s.alert_id))
    found.sort(key=lambda s: s.current.sent, reverse=True)  # stable: same order as the SQL
    return found[query.offset : query.offset + query.limit]


def last_change(conn: Connection, now: datetime) -> datetime | None:
    """When any alert last changed: its latest recorded version, or its expiry if that is later.

    Expiry writes no event, yet takes an alert out of every active list; both are indexed, so
    this costs two index look-ups whatever the length of history.
    """
    recorded = conn.execute("SELECT MAX(recorded_at) FROM alert_versions").fetchone()[0]
    expired = conn.execute(
        "SELECT MAX(expires_at) FROM alerts WHERE expires_at <= ?", (utc_text(now),)
    ).fetchone()[0]
    moments = [datetime.fromisoformat(text) for text in (recorded, expired) if text]
    return max(moments, default=None)


def open_threads(conn: Connection, channel: str) -> list[AlertState]:
    """Alerts a channel opened under its own thread ids that have not ended."""
    rows = conn.execute(
        "SELECT state FROM alerts WHERE origin_channel=? AND ended=0 AND thread IS NOT NULL",
        (channel,),
    )
    return [AlertState.model_validate_json(row[0]) for row in rows]


def get_alert(conn: Connection, alert_id: UUID) -> AlertState | None:
    row = conn.execute("SELECT state FROM alerts WHERE alert_id=?", (str(alert_id),)).fetchone()
    return None if row is None else AlertState.model_validate_json(row[0])


def alert_document(state: AlertState, now: datetime) -> dict[str, Any]:
    """The canonical alert as the API shows it, lifecycle derived at `now`."""
    message = state.current.to_json()
    return {
        "alert_id": str(state.alert_id),
        "version": state.version,
        "lifecycle": state.lifecycle(now).value,
        "origin": json.loads(state.origin.model_dump_json()),
        "status": message["status"],
        "msg_type": message["msg_type"],
        "scope": message["scope"],
        "sender": message["sender"],
        "identifier": message["identifier"],
        "sent": message["sent"],
        "incidents": message.get("incidents", []),
        "references": message.get("references", []),
        "info": message.get("info", []),
        "ended": None if state.ended is None else json.loads(state.ended.model_dump_json()),
        # Personal fields of an erased alert read "[personal data erased]"; this says who and why.
        "erased": None if state.erasure is None else json.loads(state.erasure.model_dump_json()),
        "channels": state.channels,
        "first_message_type": state.first_message_type.value,
        "original_missing": bool(state.awaiting),
        "awaiting": [json.loads(r.model_dump_json()) for r in state.awaiting],
        "linked": [json.loads(r.model_dump_json()) for r in state.linked],
        "message_count": len(state.messages),
        "expires": cap_datetime(state.expires_at) if state.expires_at else None,
        "expires_assumed": state.assumed_expiry is not None and state.expires_at is not None,
        "recorded_at": state.recorded_at.isoformat(),
        "updated_at": state.updated_at.isoformat(),
        "signature": state.signature and state.signature.model_dump(mode="json", exclude_none=True),
    }
