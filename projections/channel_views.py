"""Each installed channel's view, materialized: the public alerts it selects, rendered natively.

One projection keeps the view of every channel, so each event is folded once and judged for each
channel that might select the alert. What a channel selected is a row valid from the version
that brought it until the next one replaced it, so the view now and the view as it was shown at
any moment are both one indexed page. It keeps its own copy of each alert's state (it never reads
another projection's tables, so it can be rebuilt on its own). A channel installed later appears
after `alerthub projections rebuild views`.

Renderings are made on first read, not when the event is applied. Rendering every version for
every channel that selects it was most of this projection's cost, and a write's 202 waits for
the projection (read-your-writes), while most versions are never read in every channel. So the
projection writes each selection's row with `native`/`lost` NULL and the version's state (without
history: `view_versions`) to render it from; `view_page` renders the rows of its page still
NULL, from that state and the alert's messages up to that version (exactly what the projection
rendered before), stores them, and answers them. This, rather than a second follower that
renders behind the 202, because its guarantees need no waiting: a row is visible in the view as
soon as the 202 says so, a page reads one snapshot of the rows, and the answer for every row is
the rendering of that row's own version, whenever it was made.

Erasure: when an erasure is applied, every earlier row of the alert, rendered or not, reads
erased (`{}`, `lost` naming the erasure: no earlier rendering is ever made again) and the
earlier versions' kept states are deleted (zeroed on disk); the erasure's own version renders
from the erased state. A reader stores a rendering only where the row is still NULL, in the same
statement that checks it, and answers what the row then holds: a rendering made from a state
read just before an erasure committed is dropped, never stored over the erased row. A rebuild
builds the rows and kept states afresh; its rows are rendered on their first read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from adapters.base import Channel
from domain.alert import PersonalDataErased
from domain.errors import UnavailableError
from domain.lifetimes import NEVER, Lifetimes
from domain.personal import ERASED
from domain.state import AlertState, Lifecycle
from projections import schema
from projections.alerts import lifecycle_sql, valid_at
from projections.database import Connection
from projections.dialect import upsert
from projections.folding import (
    Step,
    around_erasures,
    fold_page,
    histories,
    with_history,
    write_states,
)
from projections.paging import Page, decode, newest_first, page_of
from projections.states import StateTables, bare, message_row, parse, utc_text
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
VIEW_KEY = ("channel", "alert_id", "version")
VERSION_COLUMNS = ("alert_id", "version", "state")
_CLOSE = (
    "UPDATE {p}channel_views SET valid_to=? WHERE channel=? AND alert_id=? AND valid_to IS NULL"
)
ERASED_RENDERING = ("{}", json.dumps([ERASED]))


class ChannelViewsProjection:
    tables: tuple[str, ...] = ("view_states", "view_messages", "view_versions", "channel_views")

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
        document = bare(folded)
        conn.execute(
            upsert(f"{self.prefix}view_states", VERSION_COLUMNS, ("alert_id",)),
            (str(folded.alert_id), folded.version, document),
        )
        erasing = isinstance(event, PersonalDataErased)
        if erasing:  # the kept messages first: the selection below reads them
            self.states.erase_history(conn, folded)
        (state,) = self.states.whole(conn, [folded])
        self._select(conn, state, document)
        if erasing:
            self._erase_renderings(conn, state)

    def apply_page(self, conn: Connection, events: Sequence[Event]) -> None:
        """`apply` for a page in one pass: the states folded in memory, the page's alerts'
        states and messages read once, one `executemany` per table. An erasure rewrites the
        alert's earlier rows and messages, so it is applied on its own (`apply`), between the
        runs of events before and after it."""
        around_erasures(
            events, lambda run: self._apply_run(conn, run), lambda one: self.apply(conn, one)
        )

    def _apply_run(self, conn: Connection, events: Sequence[Event]) -> None:
        """What `apply` writes for each event in turn, each row once: a row the run opens is
        closed by the alert's next version in the run, the rows open before it by one UPDATE
        per channel and alert."""
        p = self.prefix
        steps = fold_page(conn, f"{p}view_states", events, self.lifetimes.stamp)
        if not steps:
            return
        kept = histories(conn, f"{p}view_messages", steps)  # before the steps' own are kept
        self.states.keep_messages(conn, [message_row(s.state, s.message) for s in steps])
        by_alert: dict[str, list[Step]] = {}
        for step in steps:
            by_alert.setdefault(step.alert_id, []).append(step)
        closes: list[tuple[str | None, str, str]] = []
        versions: list[tuple[str, int, str]] = []
        views: list[tuple[object, ...]] = []
        for alert_id, run in by_alert.items():
            moments = [utc_text(step.state.updated_at) for step in run]
            closes.extend((moments[0], name, alert_id) for name in self.channels)
            for step, until in zip(run, [*moments[1:], None], strict=True):
                state = with_history(step.state, kept.get(alert_id, []))
                selecting = self._selecting(state)
                if selecting:
                    versions.append((alert_id, state.version, step.document))
                    views.extend(_rows(state, selecting, until))
        write_states(conn, f"{p}view_states", steps)
        conn.executemany(_CLOSE.format(p=p), closes)
        conn.executemany(
            upsert(f"{p}view_versions", VERSION_COLUMNS, VERSION_COLUMNS[:2]), versions
        )
        conn.executemany(upsert(f"{p}channel_views", VIEW_COLUMNS, VIEW_KEY), views)

    def _selecting(self, state: AlertState) -> list[str]:
        """The channels whose view holds this version of the alert."""
        if not state.is_public:
            return []
        return [name for name, channel in self.channels.items() if channel.selects(state)]

    def _select(self, conn: Connection, state: AlertState, document: str) -> None:
        """Close each channel's open row of the alert; open one, unrendered, in each channel
        that selects this version, and keep the version's state to render it from."""
        p, alert_id, at = self.prefix, str(state.alert_id), utc_text(state.updated_at)
        conn.executemany(_CLOSE.format(p=p), [(at, name, alert_id) for name in self.channels])
        selecting = self._selecting(state)
        if not selecting:
            return
        conn.execute(
            upsert(f"{p}view_versions", VERSION_COLUMNS, VERSION_COLUMNS[:2]),
            (alert_id, state.version, document),
        )
        conn.executemany(
            upsert(f"{p}channel_views", VIEW_COLUMNS, VIEW_KEY), _rows(state, selecting, None)
        )

    def _erase_renderings(self, conn: Connection, state: AlertState) -> None:
        """The rows from before an erasure showed (or would render) the erased fields in each
        channel's own shape: they read as erased, so an as-of view still lists the alert then,
        its native shape empty and `lost` saying why; the states they rendered from go."""
        alert_id = str(state.alert_id)
        conn.execute(
            f"UPDATE {self.prefix}channel_views SET native=?, lost=?"
            " WHERE alert_id=? AND valid_to IS NOT NULL",
            (*ERASED_RENDERING, alert_id),
        )
        conn.execute(
            f"DELETE FROM {self.prefix}view_versions WHERE alert_id=? AND version<?",
            (alert_id, state.version),
        )


def _rows(
    state: AlertState, channels: Sequence[str], until: str | None
) -> list[tuple[object, ...]]:
    """The alert's version in each of `channels`, valid from its moment `until`, unrendered."""
    alert_id, at = str(state.alert_id), utc_text(state.updated_at)
    ended, expires, sent = (
        int(state.ended is not None),
        utc_text(state.expires_at),
        utc_text(state.current.sent),
    )
    return [
        (name, alert_id, state.version, at, until, ended, expires, sent, None, None)
        for name in channels
    ]


class Renderer:
    """Renders the rows of a view page the projection left unrendered, and keeps them."""

    def __init__(self, channels: Mapping[str, Channel]) -> None:
        self.channels = channels
        self.states = StateTables("view_states", "view_messages")

    def fill(self, conn: Connection, channel: str, rows: Sequence[Any]) -> list[tuple[str, str]]:
        """`(native, lost)` as JSON text for each `(alert_id, version, native, lost, state)` row:
        stored ones as they are; the others rendered from `state` and stored, unless the row
        was given a rendering meanwhile (an erasure), which is then the answer."""
        missing = [row for row in rows if row[2] is None]
        rendered = self._render(conn, channel, missing) if missing else {}
        answers = []
        for alert_id, version, native, lost, _ in rows:
            kept = (native, lost) if native is not None else None
            answers.append(kept or self._keep(conn, channel, alert_id, version, rendered))
        return answers

    def _render(
        self, conn: Connection, channel: str, rows: Sequence[Any]
    ) -> dict[tuple[str, int], tuple[str, str]]:
        kept = [row for row in rows if row[4] is not None]
        states = self.states.whole(conn, [parse(row[4]) for row in kept])
        render = self.channels[channel].render
        made: dict[tuple[str, int], tuple[str, str]] = {}
        for row, state in zip(kept, states, strict=True):
            rendering = render(state)
            made[(row[0], row[1])] = (
                json.dumps(rendering.native, ensure_ascii=False),
                json.dumps(list(rendering.lost)),
            )
        return made

    @staticmethod
    def _keep(
        conn: Connection,
        channel: str,
        alert_id: str,
        version: int,
        rendered: Mapping[tuple[str, int], tuple[str, str]],
    ) -> tuple[str, str]:
        key = (channel, alert_id, version)
        made = rendered.get((alert_id, version))
        if made is not None:
            stored = conn.execute(
                "UPDATE channel_views SET native=?, lost=?"
                " WHERE channel=? AND alert_id=? AND version=? AND native IS NULL",
                (*made, *key),
            )
            if stored.rowcount == 1:
                return made
        # Rendered or erased since the page was read: what the row holds now is the answer.
        row = conn.execute(
            "SELECT native, lost FROM channel_views WHERE channel=? AND alert_id=? AND version=?",
            key,
        ).fetchone()
        if row is not None and row[0] is not None:
            return str(row[0]), str(row[1])
        if made is not None:  # the table was swapped for a rebuilt one meanwhile
            return made
        raise UnavailableError(
            f"the views keep no state to render {alert_id} version {version} in {channel}",
            reason="rebuilding",
        )


def view_page(
    conn: Connection,
    channel: str,
    lifecycle: Lifecycle | None,
    now: datetime,
    as_of: datetime | None = None,
    *,
    renderer: Renderer,
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
    # The kept state comes in the same statement (one snapshot) only where it is needed.
    rows = conn.execute(
        "SELECT sent, alert_id, version, native, lost, CASE WHEN native IS NULL THEN"
        " (SELECT v.state FROM view_versions v WHERE v.alert_id = channel_views.alert_id"
        " AND v.version = channel_views.version) END"
        f" FROM channel_views WHERE {' AND '.join(where)} {order} LIMIT ?",
        [*params, limit + 1],
    ).fetchall()
    page = page_of(rows, limit, lambda row: (row[0], row[1]))
    shown = renderer.fill(conn, channel, [tuple(row[1:]) for row in page.items])
    items = [
        {
            "alert_id": row[1],
            "version": row[2],
            "native": json.loads(native),
            "lost": json.loads(lost),
        }
        for row, (native, lost) in zip(page.items, shown, strict=True)
    ]
    return Page(items, page.next)
