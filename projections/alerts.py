"""The canonical alerts view: each alert now and as it was at every moment, for paged queries.

`alerts` holds each alert's current state, `alert_versions` every version as a validity
interval (for `as_of`), `alert_messages` each message once, and `alert_channels` /
`alert_geocodes` what queries filter on. Lifecycle is not stored: whether an alert has ended is,
with its `expires_at`, and "expired" is decided against the clock (or the `as_of` moment) at
query time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from domain.alert import PersonalDataErased
from domain.lifetimes import NEVER, Lifetimes
from domain.model import cap_datetime
from domain.state import AlertState, Lifecycle
from projections import schema
from projections.alert_rows import AlertRows
from projections.database import Connection
from projections.folding import around_erasures, fold_page
from projections.paging import Page, decode, newest_first, page_of
from projections.states import StateTables, bare, message_row, parse, utc_text
from projections.stream import Event

__all__ = [
    "AlertQuery",
    "AlertsProjection",
    "Places",
    "alert_document",
    "last_change",
    "lifecycle_sql",
    "utc_text",
]


class AlertsProjection:
    """Current state, every version as an interval, each message once, channels and geocodes."""

    tables: tuple[str, ...] = (
        "alerts",
        "alert_versions",
        "alert_messages",
        "alert_channels",
        "alert_geocodes",
    )

    def __init__(self, prefix: str = "", lifetimes: Lifetimes = NEVER) -> None:
        self.prefix, self.lifetimes = prefix, lifetimes
        self.name = f"{prefix}alerts"
        self.states = StateTables(f"{prefix}alerts", f"{prefix}alert_messages")

    def create_tables(self, conn: Connection) -> None:
        schema.create(conn, schema.ALERTS, self.prefix)

    def apply(self, conn: Connection, event: Event) -> None:
        state = self.states.fold(conn, event)
        if state is not None:
            if isinstance(event, PersonalDataErased):
                self._erase_history(conn, state)
            self._write(conn, self.lifetimes.stamp(state))

    def apply_page(self, conn: Connection, events: Sequence[Event]) -> None:
        """Fold a page in one pass: one read of the page's alerts, one `executemany` per table.

        An erasure rewrites the history already written, so it is applied on its own (`apply`),
        between the runs of events before and after it.
        """
        around_erasures(
            events, lambda run: self._apply_run(conn, run), lambda one: self.apply(conn, one)
        )

    def _apply_run(self, conn: Connection, events: Sequence[Event]) -> None:
        """What `apply` writes for each event in turn, each row written once (`AlertRows`)."""
        steps = fold_page(conn, f"{self.prefix}alerts", events, self.lifetimes.stamp)
        if not steps:
            return
        self.states.keep_messages(conn, [message_row(s.state, s.message) for s in steps])
        by_alert: dict[str, list[AlertState]] = {}
        for step in steps:
            by_alert.setdefault(step.alert_id, []).append(step.state)
        rows = AlertRows()
        for alert_id, states in by_alert.items():
            rows.add(alert_id, states)
        rows.write(conn, self.prefix)

    def _erase_history(self, conn: Connection, state: AlertState) -> None:
        """Rewrite every kept version and message of the alert without the erased fields (as-of
        answers included)."""
        assert state.erasure is not None
        self.states.erase_history(conn, state)
        rows = conn.execute(
            f"SELECT version, state FROM {self.prefix}alert_versions WHERE alert_id=?",
            (str(state.alert_id),),
        ).fetchall()
        for version, document in rows:
            kept = parse(document)
            scrubbed = kept.erased(state.erasure, kept.version, kept.updated_at)
            conn.execute(
                f"UPDATE {self.prefix}alert_versions SET state=? WHERE alert_id=? AND version=?",
                (bare(scrubbed), str(state.alert_id), version),
            )

    def _write(self, conn: Connection, state: AlertState) -> None:
        rows = AlertRows()
        rows.add(str(state.alert_id), [state.model_copy(update={"messages": []})])
        rows.write(conn, self.prefix)


@dataclass(frozen=True)
class AlertQuery:
    lifecycle: Lifecycle | None = Lifecycle.ACTIVE  # None: all
    channel: str | None = None
    geocode: str | None = None
    status: str | None = None
    point: tuple[float, float] | None = None  # lat, lon: alerts whose area covers it
    # Channels whose non-public alerts are listed too (a partner's); None: every alert.
    readable: frozenset[str] | None = None
    limit: int = 100
    cursor: str | None = None


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


Covers = Callable[[AlertState, float, float], bool]
"""The exact test of a point against an alert's area (the composition root's geography)."""


def lifecycle_sql(lifecycle: Lifecycle, moment: datetime, alias: str = "") -> tuple[str, list[Any]]:
    """Lifecycle derived at `moment` from two stored columns: the one rule for every view."""
    ended, expires = f"{alias}ended", f"{alias}expires_at"
    at = utc_text(moment)
    if lifecycle is Lifecycle.ACTIVE:
        return f"{ended} = 0 AND ({expires} IS NULL OR {expires} > ?)", [at]
    if lifecycle is Lifecycle.ENDED:
        return f"{ended} = 1", []
    return f"{ended} = 0 AND {expires} <= ?", [at]


def valid_at(alias: str, moment: datetime | None) -> tuple[str, list[Any]]:
    """Rows true at `moment` (None: now, the open rows)."""
    if moment is None:
        return f"{alias}valid_to IS NULL", []
    at = utc_text(moment)
    return f"{alias}valid_from <= ? AND ({alias}valid_to IS NULL OR {alias}valid_to > ?)", [at, at]


def _filters(query: AlertQuery, as_of: datetime | None, moment: datetime) -> tuple[str, list[Any]]:
    """The query's filters as SQL over indexed columns of `a` (alerts, or versions at `as_of`).

    A geocode matches alerts that name it and alerts whose area covers that place (the places
    projection's `alert_places`); a point narrows by bounding box (`alert_bounds`) here, and
    the exact test follows in `find_alerts`.
    """
    where: list[str] = []
    params: list[Any] = []

    def add(clause: str, *values: Any) -> None:
        where.append(clause)
        params.extend(values)

    valid, at = valid_at("", as_of)
    since = ("", []) if as_of is None else (" AND valid_from <= ?", [utc_text(as_of)])
    if as_of is not None:
        add(*_flat(valid_at("a.", as_of)))
    if query.lifecycle is not None:
        add(*_flat(lifecycle_sql(query.lifecycle, moment, "a.")))
    if query.status is not None:
        add("a.status = ?", query.status)
    if query.readable is not None:
        marks = ",".join("?" * len(query.readable))
        private = f"a.alert_id IN (SELECT alert_id FROM alert_channels WHERE channel IN ({marks}))"
        add(f"(a.public = 1 OR {private})" if marks else "a.public = 1", *sorted(query.readable))
    if query.channel is not None:
        add(
            f"a.alert_id IN (SELECT alert_id FROM alert_channels WHERE channel = ?{since[0]})",
            query.channel,
            *since[1],
        )
    if query.geocode is not None:
        add(
            f"a.alert_id IN (SELECT alert_id FROM alert_geocodes WHERE value = ? AND {valid}"
            f" UNION SELECT alert_id FROM alert_places WHERE code = ? AND {valid})",
            query.geocode,
            *at,
            query.geocode,
            *at,
        )
    if query.point is not None:
        lat, lon = query.point
        add(
            "a.alert_id IN (SELECT alert_id FROM alert_bounds WHERE ? BETWEEN min_lat AND max_lat"
            f" AND ? BETWEEN min_lon AND max_lon AND {valid})",
            lat,
            lon,
            *at,
        )
    return " AND ".join(where) or "1=1", params


def _flat(clause: tuple[str, list[Any]]) -> tuple[Any, ...]:
    return (clause[0], *clause[1])


def find_alerts(
    conn: Connection,
    query: AlertQuery,
    now: datetime,
    as_of: datetime | None = None,
    covers: Covers | None = None,
) -> Page[AlertState]:
    """One page of alerts now, or as recorded at `as_of` (lifecycle judged then), newest first.

    Now reads `alerts`; as of a moment reads the `alert_versions` valid then. Either way the
    filters and the cursor are SQL over indexed columns, and one page is read. A point query
    reads the alerts whose bounding box holds the point and keeps those `covers` says cover it.
    """
    table, moment = ("alerts a", now) if as_of is None else ("alert_versions a", as_of)
    where, params = _filters(query, as_of, moment)
    clause, values, order = newest_first(decode(query.cursor, 2), "a.")
    sql = f"SELECT a.sent, a.alert_id, a.state FROM {table} WHERE {where} AND {clause} {order}"
    tables = StateTables("alerts", "alert_messages")
    if query.point is None or covers is None:
        rows = conn.execute(f"{sql} LIMIT ?", [*params, *values, query.limit + 1]).fetchall()
        page = page_of(rows, query.limit, lambda row: (row[0], row[1]))
        return Page(tables.whole(conn, [parse(r[2]) for r in page.items]), page.next)
    lat, lon = query.point
    exact: list[tuple[str, str, AlertState]] = []
    for sent, alert_id, document in conn.execute(sql, [*params, *values]).fetchall():
        (state,) = tables.whole(conn, [parse(document)])
        if covers(state, lat, lon):
            exact.append((sent, alert_id, state))
            if len(exact) > query.limit:
                break
    page = page_of(exact, query.limit, lambda row: (row[0], row[1]))
    return Page([row[2] for row in page.items], page.next)


def last_change(conn: Connection, now: datetime) -> datetime | None:
    """When any alert last changed: its latest recorded version, or its expiry if that is later.

    Expiry writes no event, yet takes an alert out of every active list; both are indexed, so
    this costs two index look-ups whatever the length of history.
    """
    recorded = conn.execute("SELECT MAX(valid_from) FROM alert_versions").fetchone()[0]
    expired = conn.execute(
        "SELECT MAX(expires_at) FROM alerts WHERE expires_at <= ?", (utc_text(now),)
    ).fetchone()[0]
    moments = [datetime.fromisoformat(text) for text in (recorded, expired) if text]
    return max(moments, default=None)


def get_alert(conn: Connection, alert_id: UUID, as_of: datetime | None = None) -> AlertState | None:
    """One alert now, or its version valid at `as_of`."""
    tables = StateTables("alerts", "alert_messages")
    if as_of is None:
        return tables.current(conn, alert_id)
    clause, values = valid_at("", as_of)
    row = conn.execute(
        f"SELECT state FROM alert_versions WHERE alert_id = ? AND {clause}",
        [str(alert_id), *values],
    ).fetchone()
    return None if row is None else tables.whole(conn, [parse(row[0])])[0]


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
