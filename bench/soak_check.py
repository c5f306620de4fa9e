"""The soak's invariants, checked on the files once every process has stopped.

- every acknowledged message is in the store exactly once (and no message twice);
- the views the processes kept are equal, table by table, to a fresh rebuild from the store
  (positions aside: the live ones count Kafka offsets, the rebuild notification ids).
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.base import discover_channels
from adapters.territory import keep_to_territories
from domain.lifetimes import Lifetimes
from geography import Geography
from hub.bootstrap import live_projections
from hub.privacy.setup import open_privacy
from hub.settings import Settings
from hub.storage.store import open_sqlite_store
from hub.streaming.embedded import EmbeddedStream
from hub.streaming.follower import Follower
from projections.alerts import AlertQuery, find_alerts
from projections.database import ViewDatabase

SKIPPED_TABLES = {"positions", "position_streams"}  # counted in other streams


def key_of(identifier: str) -> str:
    """The load's key inside an alert identifier (see `bench.soak_load.message`)."""
    if identifier.startswith(("burgernet-", "nlalert-")):
        return identifier.rsplit("-", 1)[0] + "-"
    return identifier


def rebuild(settings: Settings, into: Path) -> ViewDatabase:
    """Fresh views from the store alone, as `projections rebuild` would make them: the hub's
    channels and projections, its keys (personal fields are sealed in the store), and a views
    file of its own (the hub's would be bound to the embedded stream, dropping the live ones)."""
    geography = Geography()
    channels = keep_to_territories(discover_channels(), {"NL": geography.in_netherlands})
    privacy = open_privacy(settings, channels)
    store = open_sqlite_store(settings.events_db, privacy.sealer)
    try:
        views = ViewDatabase(into)
        lifetimes = Lifetimes(settings.default_lifetime_hours)
        projections = live_projections(channels, geography, lifetimes)
        Follower(EmbeddedStream(store), views, projections).catch_up()
    finally:
        store.close()
        privacy.close()
    return views


def tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if row[0] not in SKIPPED_TABLES
        ]
        return {name: sorted(conn.execute(f"SELECT * FROM {name}")) for name in sorted(names)}
    finally:
        conn.close()


def check(settings: Settings, acknowledged: Mapping[str, str]) -> dict[str, Any]:
    """The invariants as a JSON-able report; `ok` says whether every one holds."""
    with tempfile.TemporaryDirectory() as scratch:
        fresh = rebuild(settings, Path(scratch) / "views.sqlite")
        query = AlertQuery(lifecycle=None, limit=10**7)
        states = find_alerts(fresh.connect(), query, datetime.now(UTC)).items
        fresh.close()
        live, rebuilt = tables(settings.views_db), tables(Path(scratch) / "views.sqlite")
    found = Counter(key_of(s.origin.identifier) for s in states)
    missing = sorted(k for k in acknowledged if found[k] == 0)
    twice = sorted(k for k, n in found.items() if n > 1)
    differing = sorted(n for n in set(live) | set(rebuilt) if live.get(n) != rebuilt.get(n))
    return {
        "ok": not missing and not twice and not differing,
        "alerts": len(states),
        "acknowledged": len(acknowledged),
        "acknowledged_missing": missing[:20],
        "present_twice": twice[:20],
        "views_differing_from_rebuild": differing,
        "view_rows": {name: len(rows) for name, rows in live.items()},
    }
