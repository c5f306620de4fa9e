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

from hub.bootstrap import bootstrap, live_projections
from hub.settings import Settings
from hub.streaming.embedded import EmbeddedStream
from hub.streaming.follower import Follower
from projections.alerts import AlertQuery, find_alerts
from projections.database import ViewDatabase

SKIPPED_TABLES = {"positions"}


def key_of(identifier: str) -> str:
    """The load's key inside an alert identifier (see `bench.soak_load.message`)."""
    if identifier.startswith(("burgernet-", "nlalert-")):
        return identifier.rsplit("-", 1)[0] + "-"
    return identifier


def rebuild(settings: Settings, into: Path) -> ViewDatabase:
    """Fresh views from the store alone, as `projections rebuild` would make them (the hub's
    own channels, projections and keys: personal fields are sealed in the store)."""
    hub = bootstrap(settings, configure_logs=False)
    try:
        views = ViewDatabase(into)
        projections = live_projections(hub.channels, hub.geography, hub.lifetimes)
        Follower(EmbeddedStream(hub.store), views, projections).catch_up()
    finally:
        hub.close()
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
