"""The rows of the incidents view a page of alert events touches, kept in memory for the page.

`IncidentsProjection.apply` reads and writes the links, memberships and incidents of one event at
a time. A page read once instead: the links its messages bring, the open memberships of its
alerts and the incidents those name, each in one query; the events then move them in memory in
the page's order, exactly as event by event, and the rows written go back in one `executemany`
per table. A merge of incidents (rare: an alert whose links join two) writes what the page has
so far, runs in SQL as event by event (it moves other alerts' rows too), and reads the page's
rows again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID, uuid5

from domain.identity import NAMESPACE
from domain.model import AlertMessage
from domain.state import AlertState
from projections.database import Connection
from projections.dialect import upsert
from projections.folding import Step, chunks, marks
from projections.states import utc_text

FOREVER = "9999-12-31T23:59:59.999999Z"  # open_until of an incident with an alert that never ends
MEMBER_COLUMNS = (
    "alert_id",
    "valid_from",
    "valid_to",
    "incident_id",
    "version",
    "channel",
    "status",
    "public",
    "ended",
    "expires_at",
    "recorded_at",
    "event",
    "headline",
    "tokens",
)
Merge = Callable[[Connection, str, str, str | None], None]  # (conn, absorbed, survivor, at)


def incident_id(first_alert: UUID) -> UUID:
    """Stable while the incident grows: named after its earliest alert."""
    return uuid5(NAMESPACE, f"incident:{first_alert}")


def links_of(message: AlertMessage) -> set[str]:
    tokens = {f"incident:{token}" for token in message.incidents}
    return tokens | {f"message:{r.key}" for r in message.references} | {f"message:{message.key}"}


def refresh_sql(prefix: str) -> str:
    """Set an incident's `open_until`: the latest expiry among its alerts that have not ended
    (parameters: FOREVER, the incident twice)."""
    return (
        f"UPDATE {prefix}incidents SET open_until=(SELECT MAX(COALESCE(expires_at, ?))"
        f" FROM {prefix}incident_members WHERE incident_id=? AND valid_to IS NULL AND ended=0)"
        " WHERE incident_id=?"
    )


def member_row(
    state: AlertState, target: str, tokens: list[str], at: str | None
) -> tuple[Any, ...]:
    """The alert's membership of `target` from `at` on, in MEMBER_COLUMNS order."""
    info = state.current.info[0] if state.current.info else None
    return (
        str(state.alert_id),
        at,
        None,
        target,
        state.version,
        state.origin.channel,
        state.current.status.value,
        int(state.is_public),
        int(state.ended is not None),
        utc_text(state.expires_at),
        utc_text(state.recorded_at),
        info.event if info else None,
        info.headline if info else None,
        json.dumps(tokens),
    )


class IncidentPage:
    """One page's links, open memberships and incidents, moved in memory and written at once."""

    def __init__(self, conn: Connection, prefix: str, steps: Sequence[Step], merge: Merge) -> None:
        self.conn, self.prefix, self.merge = conn, prefix, merge
        self.steps = steps
        self.messages = [step.message for step in steps]
        self.wanted = sorted(set().union(*(links_of(m) for m in self.messages)))
        self.alerts = sorted({step.alert_id for step in steps})
        self.links: dict[str, str] = {}  # link -> incident
        self.members: dict[str, tuple[Any, ...]] = {}  # alert -> its open membership
        self.opened: dict[str, str] = {}  # incident -> opened_at
        self.new_links: dict[str, str] = {}
        self.new_incidents: dict[str, str] = {}
        self.rows: dict[tuple[str, str], tuple[Any, ...]] = {}  # (alert, valid_from) -> row
        self.touched: set[str] = set()  # incidents whose open_until may have moved

    def apply(self) -> None:
        self._load()
        for step, message in zip(self.steps, self.messages, strict=True):
            self._apply(step.state, message)
        self._write()
        self.conn.executemany(
            refresh_sql(self.prefix), [(FOREVER, i, i) for i in sorted(self.touched)]
        )

    def _apply(self, state: AlertState, message: AlertMessage) -> None:
        alert_id, at = str(state.alert_id), utc_text(state.updated_at)
        links = sorted(links_of(message))
        member = self.members.get(alert_id)
        found = {self.links[link] for link in links if link in self.links}
        found |= {member[3]} if member else set()
        target = self._incident_for(state, found, at)
        for link in links:
            if link not in self.links:
                self.links[link] = self.new_links[link] = target
        tokens = sorted(set(json.loads(member[13]) if member else []) | set(message.incidents))
        if (current := self.members.get(alert_id)) is not None:  # a merge may have moved it
            self.rows[(alert_id, current[1])] = (*current[:2], at, *current[3:])
        row = member_row(state, target, tokens, at)
        self.rows[(alert_id, row[1])] = self.members[alert_id] = row
        self.touched.add(target)

    def _incident_for(self, state: AlertState, found: set[str], at: str | None) -> str:
        if not found:
            new = str(incident_id(state.alert_id))
            self.opened[new] = self.new_incidents[new] = utc_text(state.recorded_at) or ""
            return new
        survivor, *absorbed = sorted((i for i in found if i in self.opened), key=self._age)
        if absorbed:
            self._write()
            for other in absorbed:
                self.merge(self.conn, other, survivor, at)
            self._load()
        return survivor

    def _age(self, incident: str) -> tuple[str, str]:
        return self.opened[incident], incident

    def _load(self) -> None:
        p, conn = self.prefix, self.conn
        self.links, self.members, self.opened = {}, {}, {}
        for chunk in chunks(self.wanted):
            sql = f"SELECT link, incident_id FROM {p}incident_links WHERE link IN ({marks(chunk)})"
            self.links.update((row[0], row[1]) for row in conn.execute(sql, list(chunk)))
        for chunk in chunks(self.alerts):
            for row in conn.execute(
                f"SELECT {','.join(MEMBER_COLUMNS)} FROM {p}incident_members"
                f" WHERE alert_id IN ({marks(chunk)}) AND valid_to IS NULL",
                list(chunk),
            ):
                self.members[row[0]] = tuple(row)
        named = sorted({*self.links.values(), *(row[3] for row in self.members.values())})
        for chunk in chunks(named):
            sql = f"SELECT incident_id, opened_at FROM {p}incidents WHERE incident_id IN"
            rows = conn.execute(f"{sql} ({marks(chunk)})", list(chunk))
            self.opened.update((row[0], row[1]) for row in rows)

    def _write(self) -> None:
        p, conn = self.prefix, self.conn
        if self.new_links:
            columns = ("link", "incident_id")
            sql = upsert(f"{p}incident_links", columns, columns[:1], keep_existing=True)
            conn.executemany(sql, list(self.new_links.items()))
        if self.new_incidents:
            sql = upsert(f"{p}incidents", ("incident_id", "opened_at"), ("incident_id",))
            conn.executemany(sql, list(self.new_incidents.items()))
        if self.rows:
            sql = upsert(f"{p}incident_members", MEMBER_COLUMNS, ("alert_id", "valid_from"))
            conn.executemany(sql, list(self.rows.values()))
        self.new_links, self.new_incidents, self.rows = {}, {}, {}
