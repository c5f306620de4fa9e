"""Incidents: alerts of every channel that speak of the same event, kept grouped by a projection.

Alerts join one incident when they share a CAP `incidents` token, or when one references a
message recorded under another alert (an original that arrived after its update opened a
separate thread, say). Each alert event brings its message's links (its tokens, the keys it
references, its own key); an alert whose links touch several incidents merges them into the
earliest one, whose id (named after its first alert) therefore stays stable as it grows. An
alert's membership and summary are kept as validity intervals, so an incident now and as it was
at any moment are both read a page at a time, never regrouped per request.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.alert import AlertEvent, AlertIssued, PersonalDataErased
from domain.lifetimes import NEVER, Lifetimes
from domain.personal import ERASED
from domain.state import AlertState, Lifecycle
from projections import schema
from projections.alerts import valid_at
from projections.database import Connection
from projections.dialect import upsert
from projections.folding import fold_page, write_states
from projections.incident_rows import (
    FOREVER,
    MEMBER_COLUMNS,
    IncidentPage,
    incident_id,
    links_of,
    member_row,
    refresh_sql,
)
from projections.paging import Page, decode, page_of
from projections.states import StateTables, bare, utc_text
from projections.stream import Event


@dataclass(frozen=True)
class Shown:
    """Which of an incident's alerts a caller sees: public ones, those of the `readable`
    channels (None: every alert), and, with `actual_only`, only Actual ones."""

    readable: frozenset[str] | None = None
    actual_only: bool = False

    def sql(self) -> tuple[str, list[Any]]:
        """Extra conditions on `incident_members`, each starting with AND."""
        clause, values = "", list[Any]()
        if self.readable is not None:
            marks = ",".join("?" * len(self.readable))
            clause += f" AND (public = 1 OR channel IN ({marks}))" if marks else " AND public = 1"
            values += sorted(self.readable)
        if self.actual_only:
            clause += " AND status = 'Actual'"
        return clause, values


class IncidentsProjection:
    tables: tuple[str, ...] = ("incident_states", "incident_links", "incidents", "incident_members")

    def __init__(self, prefix: str = "", lifetimes: Lifetimes = NEVER) -> None:
        self.prefix, self.lifetimes = prefix, lifetimes
        self.name = f"{prefix}incidents"
        self.states = StateTables(f"{prefix}incident_states", None)

    def create_tables(self, conn: Connection) -> None:
        schema.create(conn, schema.INCIDENTS, self.prefix)

    def apply_page(self, conn: Connection, events: Sequence[Event]) -> None:
        """`apply` for a page in one pass (`projections.incident_rows`): the states folded in
        memory, each table read once and written once, except around a merge. A page with an
        erasure, which rewrites the alert's earlier rows, takes the per-event path."""
        if any(isinstance(event, PersonalDataErased) for event in events):
            for event in events:
                self.apply(conn, event)
            return
        table = f"{self.prefix}incident_states"
        steps = fold_page(conn, table, events, self.lifetimes.stamp)
        if steps:
            IncidentPage(conn, self.prefix, steps, self._merge).apply()
            write_states(conn, table, steps)

    def apply(self, conn: Connection, event: Event) -> None:
        state = self.states.fold(conn, event)
        if state is None:
            return
        state = self.lifetimes.stamp(state)  # an assumed expiry ends an incident's alert too
        p, alert_id, at = self.prefix, str(state.alert_id), utc_text(state.updated_at)
        conn.execute(
            upsert(f"{p}incident_states", ("alert_id", "version", "state"), ("alert_id",)),
            (alert_id, state.version, bare(state)),
        )
        if isinstance(event, PersonalDataErased):
            self._erase_history(conn, state)
        assert isinstance(event, AlertIssued | AlertEvent)  # the fold kept alert events only
        message = event.alert_message  # the event's own message (the state kept has no history)
        links = sorted(links_of(message))
        member = conn.execute(
            f"SELECT incident_id, tokens FROM {p}incident_members"
            " WHERE alert_id=? AND valid_to IS NULL",
            (alert_id,),
        ).fetchone()
        found = {
            row[0]
            for row in conn.execute(
                f"SELECT incident_id FROM {p}incident_links"
                f" WHERE link IN ({','.join('?' * len(links))})",
                links,
            )
        } | ({member[0]} if member else set())
        target = self._incident_for(conn, state, found, at)
        for link in links:
            conn.execute(
                upsert(
                    f"{p}incident_links", ("link", "incident_id"), ("link",), keep_existing=True
                ),
                (link, target),
            )
        tokens = sorted(set(json.loads(member[1]) if member else []) | set(message.incidents))
        self._member(conn, state, target, tokens, at)
        self._refresh(conn, target)

    def _erase_history(self, conn: Connection, state: AlertState) -> None:
        """After an erasure the alert's earlier memberships lose their headline if it was erased
        (the new membership is written from the scrubbed state)."""
        assert state.erasure is not None
        if "info[].headline" in state.erasure.fields:
            conn.execute(
                f"UPDATE {self.prefix}incident_members SET headline=? WHERE alert_id=?",
                (ERASED, str(state.alert_id)),
            )

    def _incident_for(
        self, conn: Connection, state: AlertState, found: set[str], at: str | None
    ) -> str:
        """The incident the alert belongs to now; incidents its links joined merge into it."""
        p = self.prefix
        if not found:
            new = str(incident_id(state.alert_id))
            conn.execute(
                upsert(f"{p}incidents", ("incident_id", "opened_at"), ("incident_id",)),
                (new, utc_text(state.recorded_at)),
            )
            return new
        marks = ",".join("?" * len(found))
        rows = conn.execute(
            f"SELECT incident_id FROM {p}incidents WHERE incident_id IN ({marks})"
            " ORDER BY opened_at, incident_id",
            sorted(found),
        ).fetchall()
        survivor, absorbed = rows[0][0], [row[0] for row in rows[1:]]
        for other in absorbed:
            self._merge(conn, other, survivor, at)
        return str(survivor)

    def _merge(self, conn: Connection, other: str, survivor: str, at: str | None) -> None:
        p = self.prefix
        conn.execute(
            f"UPDATE {p}incident_links SET incident_id=? WHERE incident_id=?", (survivor, other)
        )
        moving = conn.execute(
            f"SELECT {','.join(MEMBER_COLUMNS)} FROM {p}incident_members"
            " WHERE incident_id=? AND valid_to IS NULL",
            (other,),
        ).fetchall()
        for row in moving:
            conn.execute(
                f"UPDATE {p}incident_members SET valid_to=? WHERE alert_id=? AND valid_to IS NULL",
                (at, row[0]),
            )
            conn.execute(
                upsert(f"{p}incident_members", MEMBER_COLUMNS, ("alert_id", "valid_from")),
                (row[0], at, None, survivor, *tuple(row)[4:]),
            )
        conn.execute(
            f"UPDATE {p}incidents SET merged_at=?, merged_into=?, open_until=NULL"
            " WHERE incident_id=?",
            (at, survivor, other),
        )

    def _member(
        self, conn: Connection, state: AlertState, target: str, tokens: list[str], at: str | None
    ) -> None:
        p = self.prefix
        conn.execute(
            f"UPDATE {p}incident_members SET valid_to=? WHERE alert_id=? AND valid_to IS NULL",
            (at, str(state.alert_id)),
        )
        conn.execute(
            upsert(f"{p}incident_members", MEMBER_COLUMNS, ("alert_id", "valid_from")),
            member_row(state, target, tokens, at),
        )

    def _refresh(self, conn: Connection, incident: str) -> None:
        """Keep `open_until`: the latest expiry among the incident's alerts that have not ended."""
        conn.execute(refresh_sql(self.prefix), (FOREVER, incident, incident))


def _open_member(*, active: bool) -> str:
    valid = "m.valid_from <= ? AND (m.valid_to IS NULL OR m.valid_to > ?)"
    expiry = " AND (m.expires_at IS NULL OR m.expires_at > ?)" if active else ""
    return (
        "EXISTS (SELECT 1 FROM incident_members m WHERE m.incident_id = i.incident_id"
        f" AND {valid} AND m.ended = 0{expiry})"
    )


def _lifecycle_filter(
    lifecycle: Lifecycle, now: datetime, as_of: datetime | None
) -> tuple[str, list[Any]]:
    """Now: one indexed comparison on `open_until`. As of a moment: the members valid then."""
    if as_of is None:
        at = utc_text(now)
        return {
            Lifecycle.ACTIVE: ("i.open_until > ?", [at]),
            Lifecycle.EXPIRED: ("i.open_until <= ?", [at]),
            Lifecycle.ENDED: ("i.open_until IS NULL", []),
        }[lifecycle]
    t = utc_text(as_of)
    active, opened = _open_member(active=True), _open_member(active=False)
    if lifecycle is Lifecycle.ACTIVE:
        return active, [t, t, t]
    if lifecycle is Lifecycle.EXPIRED:
        return f"{opened} AND NOT {active}", [t, t, t, t, t]
    return f"NOT {opened}", [t, t]


def _existing(as_of: datetime | None) -> tuple[str, list[Any]]:
    if as_of is None:
        return "i.merged_at IS NULL", []
    t = utc_text(as_of)
    return "i.opened_at <= ? AND (i.merged_at IS NULL OR i.merged_at > ?)", [t, t]


def incident_page(
    conn: Connection,
    lifecycle: Lifecycle | None,
    now: datetime,
    as_of: datetime | None = None,
    *,
    limit: int = 100,
    cursor: str | None = None,
    shown: Shown | None = None,
) -> Page[dict[str, Any]]:
    """A page of incidents now or as they were at `as_of`, most recently opened first.

    Only the alerts `shown` lets through are in the documents; an incident with none is left
    out, so a page may hold fewer than `limit`.
    """
    where, params = _existing(as_of)
    clauses = [where]
    if lifecycle is not None:
        clause, values = _lifecycle_filter(lifecycle, now, as_of)
        clauses.append(clause)
        params += values
    key = decode(cursor, 2)
    if key is not None:
        clauses.append("(i.opened_at < ? OR (i.opened_at = ? AND i.incident_id > ?))")
        params += [key[0], key[0], key[1]]
    rows = conn.execute(
        f"SELECT i.opened_at, i.incident_id FROM incidents i WHERE {' AND '.join(clauses)}"
        " ORDER BY i.opened_at DESC, i.incident_id LIMIT ?",
        [*params, limit + 1],
    ).fetchall()
    page = page_of(rows, limit, lambda row: (row[0], row[1]))
    ids = [row[1] for row in page.items]
    return Page(incident_documents(conn, ids, as_of or now, as_of, shown), page.next)


def find_incident(
    conn: Connection,
    incident: UUID,
    now: datetime,
    as_of: datetime | None = None,
    shown: Shown | None = None,
) -> dict[str, Any] | None:
    """One incident; an id merged into another since answers with the one it joined."""
    wanted = str(incident)
    for _ in range(64):  # merges chain at most as deep as incidents were merged
        row = conn.execute(
            "SELECT merged_at, merged_into FROM incidents WHERE incident_id=?", (wanted,)
        ).fetchone()
        if row is None:
            return None
        merged = row[0] is not None and (as_of is None or row[0] <= utc_text(as_of))
        if not merged:
            break
        wanted = row[1]
    found = incident_documents(conn, [wanted], as_of or now, as_of, shown)
    return found[0] if found else None


def incident_documents(
    conn: Connection,
    ids: list[str],
    moment: datetime,
    as_of: datetime | None,
    shown: Shown | None = None,
) -> list[dict[str, Any]]:
    """Each incident with its alerts valid at `as_of` (or now) that `shown` lets through,
    lifecycles judged at `moment`."""
    if not ids:
        return []
    clause, values = valid_at("", as_of)
    if shown is not None:
        more, params = shown.sql()
        clause, values = f"{clause}{more}", [*values, *params]
    rows = conn.execute(
        f"SELECT incident_id, alert_id, channel, status, ended, expires_at, version, event,"
        f" headline, tokens FROM incident_members WHERE incident_id IN ({','.join('?' * len(ids))})"
        f" AND {clause} ORDER BY recorded_at, alert_id",
        [*ids, *values],
    )
    members: dict[str, list[Any]] = {}
    for row in rows:
        members.setdefault(row[0], []).append(row)
    at = utc_text(moment)
    return [_document(i, members[i], at) for i in ids if i in members]


def _document(incident: str, rows: list[Any], at: str | None) -> dict[str, Any]:
    alerts, channels, tokens = [], {}, set()  # type: tuple[list[dict[str, Any]], dict[str, str], set[str]]
    for row in rows:
        lifecycle = _alert_lifecycle(row[4], row[5], at)
        alerts.append(
            {
                "alert_id": row[1],
                "channel": row[2],
                "status": row[3],
                "lifecycle": lifecycle,
                "version": row[6],
                "event": row[7],
                "headline": row[8],
            }
        )
        channels[row[2]] = _merge(channels.get(row[2]), lifecycle)
        tokens |= set(json.loads(row[9]))
    return {
        "incident_id": incident,
        "lifecycle": _merge(None, *channels.values()),
        "incidents": sorted(tokens),
        "channels": channels,
        "alerts": alerts,
    }


def _alert_lifecycle(ended: int, expires_at: str | None, at: str | None) -> str:
    if ended:
        return Lifecycle.ENDED.value
    if expires_at is not None and at is not None and expires_at <= at:
        return Lifecycle.EXPIRED.value
    return Lifecycle.ACTIVE.value


def _merge(current: str | None, *lifecycles: str) -> str:
    """An incident (or a channel's part of it) is active while any of its alerts is."""
    values = {v for v in (current, *lifecycles) if v is not None}
    for lifecycle in (Lifecycle.ACTIVE, Lifecycle.EXPIRED, Lifecycle.ENDED):
        if lifecycle.value in values:
            return lifecycle.value
    return Lifecycle.ENDED.value
