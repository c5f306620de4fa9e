"""A views file that goes bad while the hub runs: detected on a read, replaced, rebuilt."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from projections.alerts import AlertQuery, find_alerts
from tests.conftest import EXAMPLES, HubFactory
from tests.e2e.test_views_heal import spoil_middle_pages

THUNDERSTORM = (EXAMPLES / "cap" / "a2-severe-thunderstorm.xml").read_bytes()


def test_a_malformed_page_met_at_run_time_heals_by_a_rebuild(make_hub: HubFactory) -> None:
    hub = make_hub()
    for n in range(40):
        body = THUNDERSTORM.replace(b"KSTO1055887203", f"RUN{n}".encode())
        hub.service.ingest("cap", body, "application/cap+xml")
    hub.follower.catch_up()
    query, now = AlertQuery(lifecycle=None, limit=1000), datetime.now(UTC)
    before = find_alerts(hub.views.connect(), query, now).items
    hub.views.connect().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    hub.views.close()
    spoil_middle_pages(hub.views.path)

    with pytest.raises(sqlite3.DatabaseError, match="malformed"):
        find_alerts(hub.views.connect(), query, now)
    hub.views.suspect = True  # what the API does on such an error
    hub.follower.catch_up()

    assert not hub.views.rebuilding
    assert find_alerts(hub.views.connect(), query, now).items == before
    assert list(hub.views.path.parent.glob("views.sqlite.corrupt-*"))
