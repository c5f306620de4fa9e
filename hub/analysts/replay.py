"""Replaying history into a separate views database, with projections built in or plugged in.

`replay` runs projections over a window of the stream into a fresh `views.sqlite` in a folder of
its own: the live views are never opened, so an analyst can rebuild, compare and throw away.
Projections are every one registered under the entry-point group `alerthub.projections` (the
built-in `alerts`, `views` and `incidents` included), loaded by the same rules as channels
(`adapters.plugins`)::

    [project.entry-points."alerthub.projections"]
    my_view = "my_package.views:MyProjection"   # a class, a factory or an instance

A plugin provides `name` (equal to its entry-point name), `create_tables(conn)` and
`apply(conn, event)` (`projections.base.Projection`); its factory may ask for `prefix` and
`channels`.

`WholeAlerts` and `fold` are shared with `shadow` and the notebook API: folding alert states
needs each alert's first event.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import EntryPoint
from itertools import islice
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from adapters.base import Channel, discover_channels
from domain.alert import AlertIssued, evolve
from domain.errors import ConfigurationError
from domain.lifetimes import NEVER, Lifetimes
from domain.state import AlertState
from geography import Geography
from hub.analysts.window import ProgressFn, tracked
from projections.alerts import utc_text
from projections.base import Projection, apply_page, install
from projections.database import ViewDatabase
from projections.registry import discover_projections
from projections.stream import Event, StreamRecord


def projection_names(found: Iterable[EntryPoint] | None = None) -> list[str]:
    """Every projection `replay` can build: each installed one (what `projections status` lists)."""
    return sorted(discover_projections(discover_channels(), Geography(), found=found))


def load_projections(
    wanted: Sequence[str | Projection],
    found: Iterable[EntryPoint] | None = None,
    channels: Mapping[str, Channel] | None = None,
    lifetimes: Lifetimes = NEVER,
) -> list[Projection]:
    """Projections by name (from the `alerthub.projections` seam) or as given; `lifetimes`:
    the default lifetimes the named ones judge expiry by (the live hub's, to match its views)."""
    named = [w for w in wanted if isinstance(w, str)]
    channels = channels or discover_channels()
    known = (
        discover_projections(channels, Geography(), found=found, lifetimes=lifetimes)
        if named
        else {}
    )
    chosen: list[Projection] = []
    for item in wanted:
        if not isinstance(item, str):
            chosen.append(item)
        elif item in known:
            chosen.append(known[item])
        else:
            raise ConfigurationError(
                f"no projection named {item!r}; known: {', '.join(sorted(known))}"
            )
    return chosen


class WholeAlerts:
    """Keeps the events of alerts whose first event is among the records, counting the rest.

    A window that starts mid-history holds later events of older alerts; a fold cannot start
    from them, so they are dropped and reported, and the result is about the alerts that began
    in the window. Holds one id per alert, never the events.
    """

    def __init__(self) -> None:
        self.begun: set[UUID] = set()
        self.skipped = 0

    def __call__(self, records: Iterable[StreamRecord]) -> Iterator[StreamRecord]:
        for record in records:
            alert = record.event.originator_id
            if isinstance(record.event, AlertIssued):
                self.begun.add(alert)
            if alert in self.begun:
                yield record
            else:
                self.skipped += 1


def fold(states: dict[UUID, AlertState], event: Event) -> AlertState | None:
    """Fold one event into `states`; None when it was already applied (at-least-once input)."""
    if not isinstance(event, Aggregate.Event):
        raise TypeError(f"{type(event).__name__} is not an alert event")
    state = states.get(event.originator_id)
    if state is not None and event.originator_version <= state.version:
        return None
    states[event.originator_id] = evolved = evolve(state, event)
    return evolved


@dataclass(frozen=True)
class ReplayReport:
    """What a replay built: where, from how many events, and what the view holds."""

    path: Path
    projections: tuple[str, ...]
    events: int
    skipped: int
    alerts: int
    ended: int
    expired: int
    tables: Mapping[str, int]
    seconds: float


def replay(
    records: Iterable[StreamRecord],
    projections: Sequence[str | Projection],
    target_dir: Path,
    *,
    as_of: datetime | None = None,
    page_size: int = 500,
    progress: ProgressFn | None = None,
    lifetimes: Lifetimes = NEVER,
) -> ReplayReport:
    """Build `projections` (default: alerts) from `records` in `target_dir/views.sqlite`.

    The file must not exist yet: a replay never adds to, or overwrites, a views database.
    `as_of` decides which alerts count as expired (default: now).
    """
    started = time.monotonic()
    chosen = load_projections(projections or ["alerts"], lifetimes=lifetimes)
    path = target_dir / "views.sqlite"
    if path.exists():
        raise ConfigurationError(f"{path} already exists; replay builds a fresh views database")
    db = ViewDatabase(path)
    whole, events = WholeAlerts(), 0
    try:
        for projection in chosen:
            install(db, projection)
        for page in _pages(tracked(whole(records), progress), page_size):
            for projection in chosen:
                apply_page(db, projection, page)
            events += len(page)
        counts = _counts(db, as_of or datetime.now(UTC))
        names = tuple(p.name for p in chosen)
        seconds = time.monotonic() - started
        return ReplayReport(path, names, events, whole.skipped, **counts, seconds=seconds)
    finally:
        db.close()


def _pages(records: Iterable[StreamRecord], size: int) -> Iterator[list[StreamRecord]]:
    iterator = iter(records)
    while page := list(islice(iterator, size)):
        yield page


def _counts(db: ViewDatabase, now: datetime) -> dict[str, Any]:
    conn = db.connect()
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    tables = {n: conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}
    alerts = ended = expired = 0
    if "alerts" in tables:
        alerts, ended, expired = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(ended), 0), COALESCE(SUM(ended = 0 AND expires_at <= ?),"
            " 0) FROM alerts",
            (utc_text(now),),
        ).fetchone()
    return {"alerts": alerts, "ended": ended, "expired": expired, "tables": tables}
