"""Replaying history into a separate views database, and shadowing a channel over it.

`replay` runs projections over a window of the stream into a fresh `views.sqlite` in a folder of
its own: the live views are never opened, so an analyst can rebuild, compare and throw away.
Projections are the built-in `alerts` plus plugins registered under the entry-point group
`alerthub.projections`, the same way channels are (`alerthub.channels`)::

    [project.entry-points."alerthub.projections"]
    my_view = "my_package.views:MyProjection"   # a class, a factory or an instance

A plugin provides `name` (equal to its entry-point name), `create_tables(conn)` and
`apply(conn, event)` (`projections.base.Projection`).

`shadow` is the check before a channel plugin goes live: the whole history through its `selects`
and `render`, folded in memory with `domain.alert.evolve` (no database, no side effects), compared
with what the installed channels show.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import EntryPoint, entry_points
from itertools import islice
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

from adapters.base import Channel
from domain.alert import AlertIssued, evolve
from domain.errors import ConfigurationError
from domain.state import AlertState
from hub.analysts import ProgressFn, tracked
from projections.alerts import AlertsProjection, utc_text
from projections.base import Projection, apply_page, install
from projections.database import ViewDatabase
from projections.stream import Event, StreamRecord

PROJECTION_GROUP = "alerthub.projections"
BUILT_IN: Mapping[str, Callable[[], Projection]] = {"alerts": AlertsProjection}
MAX_FAILURES = 50
"""Render failures kept with their details; beyond that they are only counted."""


def _plugins(found: Iterable[EntryPoint] | None) -> dict[str, EntryPoint]:
    eps = entry_points(group=PROJECTION_GROUP) if found is None else found
    plugins: dict[str, EntryPoint] = {}
    for ep in eps:
        if ep.name in plugins or ep.name in BUILT_IN:
            raise ConfigurationError(f"two projections are named {ep.name!r}")
        plugins[ep.name] = ep
    return plugins


def projection_names(found: Iterable[EntryPoint] | None = None) -> list[str]:
    """Every projection that `replay` can build: the built-in ones, then the plugins."""
    return [*BUILT_IN, *sorted(_plugins(found))]


def load_projections(
    wanted: Sequence[str | Projection], found: Iterable[EntryPoint] | None = None
) -> list[Projection]:
    """Projections by name (built-in or plugin) or as given; an unknown name is an error."""
    plugins = _plugins(found) if any(isinstance(w, str) for w in wanted) else {}
    chosen: list[Projection] = []
    for item in wanted:
        if not isinstance(item, str):
            chosen.append(item)
        elif item in BUILT_IN:
            chosen.append(BUILT_IN[item]())
        elif item in plugins:
            chosen.append(_load(plugins[item]))
        else:
            known = ", ".join([*BUILT_IN, *sorted(plugins)])
            raise ConfigurationError(f"no projection named {item!r}; known: {known}")
    return chosen


def _load(ep: EntryPoint) -> Projection:
    where = f"projection plugin {ep.name!r} ({ep.value})"
    try:
        loaded = ep.load()
        projection = loaded() if isinstance(loaded, type) or not hasattr(loaded, "apply") else loaded
    except Exception as exc:
        raise ConfigurationError(f"{where} failed to load: {exc!r}") from exc
    if not all(hasattr(projection, a) for a in ("name", "create_tables", "apply")):
        raise ConfigurationError(f"{where} does not provide name, create_tables, apply")
    if projection.name != ep.name:
        raise ConfigurationError(f"{where} calls itself {projection.name!r}; names must match")
    return projection  # type: ignore[no-any-return]


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
) -> ReplayReport:
    """Build `projections` (default: alerts) from `records` in `target_dir/views.sqlite`.

    The file must not exist yet: a replay never adds to, or overwrites, a views database.
    `as_of` decides which alerts count as expired (default: now).
    """
    started = time.monotonic()
    chosen = load_projections(projections or ["alerts"])
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


@dataclass
class AlertShadow:
    """One alert: whether the new channel would show it, and which installed channels do."""

    alert_id: UUID
    public: bool = False
    by_new: bool = False
    by: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class RenderFailure:
    alert_id: UUID
    version: int
    stage: Literal["selects", "render"]
    error: str


@dataclass
class ShadowReport:
    """A channel's would-be view over history, against the views of the installed channels.

    An alert counts as shown by a channel if any public version of it was selected (Test and
    Exercise messages are never shown, as in `/v1/views`).
    """

    channel: str
    compared_with: tuple[str, ...]
    events: int = 0
    skipped: int = 0
    renderings: int = 0
    failure_count: int = 0
    alerts: dict[UUID, AlertShadow] = field(default_factory=dict)
    failures: list[RenderFailure] = field(default_factory=list)
    lost: Counter[str] = field(default_factory=Counter)

    def _ids(self, keep: Callable[[AlertShadow], bool]) -> list[UUID]:
        return sorted(a.alert_id for a in self.alerts.values() if keep(a))

    @property
    def only_new(self) -> list[UUID]:
        """Alerts only the new channel would show."""
        return self._ids(lambda a: a.by_new and not a.by)

    @property
    def not_new(self) -> list[UUID]:
        """Alerts the new channel would not show that some installed channel does."""
        return self._ids(lambda a: not a.by_new and bool(a.by))

    @property
    def both(self) -> list[UUID]:
        return self._ids(lambda a: a.by_new and bool(a.by))

    def summary(self) -> dict[str, Any]:
        """The counts, lost fields and failures as JSON-ready data (the CLI prints this)."""
        return {
            "channel": self.channel,
            "compared_with": list(self.compared_with),
            "events": self.events,
            "skipped": self.skipped,
            "alerts": len(self.alerts),
            "public": sum(a.public for a in self.alerts.values()),
            "shown_by_new": sum(a.by_new for a in self.alerts.values()),
            "only_new": len(self.only_new),
            "not_new": len(self.not_new),
            "both": len(self.both),
            "renderings": self.renderings,
            "render_failures": self.failure_count,
            "failures": [vars(f) | {"alert_id": str(f.alert_id)} for f in self.failures],
            "lost": dict(self.lost.most_common()),
        }

    def fail(self, state: AlertState, stage: Literal["selects", "render"], exc: Exception) -> None:
        self.failure_count += 1
        if len(self.failures) < MAX_FAILURES:
            error = f"{type(exc).__name__}: {exc}"
            self.failures.append(RenderFailure(state.alert_id, state.version, stage, error))


def shadow(
    records: Iterable[StreamRecord],
    channel: Channel,
    existing_channels: Mapping[str, Channel],
    *,
    progress: ProgressFn | None = None,
) -> ShadowReport:
    """Every version of every alert through `channel`, compared with `existing_channels`.

    Exceptions from the channel's `selects` or `render` are reported, never raised: finding
    them is the point. A channel of the same name among the existing ones is left out of them.
    """
    others = {name: c for name, c in existing_channels.items() if name != channel.name}
    report = ShadowReport(channel.name, tuple(sorted(others)))
    states: dict[UUID, AlertState] = {}
    whole = WholeAlerts()
    for record in tracked(whole(records), progress):
        state = fold(states, record.event)
        if state is not None:
            report.events += 1
            _observe(report, channel, others, state)
    report.skipped = whole.skipped
    return report


def _observe(
    report: ShadowReport, channel: Channel, others: Mapping[str, Channel], state: AlertState
) -> None:
    seen = report.alerts.setdefault(state.alert_id, AlertShadow(state.alert_id))
    if not state.is_public:
        return
    seen.public = True
    seen.by |= {name for name, other in others.items() if _quietly_selects(other, state)}
    try:
        if not channel.selects(state):
            return
    except Exception as exc:
        report.fail(state, "selects", exc)
        return
    seen.by_new = True
    try:
        rendering = channel.render(state)
    except Exception as exc:
        report.fail(state, "render", exc)
        return
    report.renderings += 1
    report.lost.update(rendering.lost)


def _quietly_selects(channel: Channel, state: AlertState) -> bool:
    """An installed channel's choice; its own failures are not what a shadow run examines."""
    try:
        return channel.selects(state)
    except Exception:
        return False
