"""A new layout of the views rebuilds the views' file, and never touches the events' file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from projections.database import VERSION, CorruptFileError
from tests.conftest import EXAMPLES, HubFactory
from tests.e2e.test_views_heal import spoil_middle_pages

CAP = "application/cap+xml"


def mark(path: Path, version: int) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"PRAGMA user_version={version}")
    finally:
        conn.close()


def test_an_older_views_layout_is_rebuilt_and_the_events_stay(make_hub: HubFactory) -> None:
    hub = make_hub()
    body = (EXAMPLES / "burgernet" / "01-vermissing-start.json").read_bytes()
    alert_id = hub.service.ingest("burgernet", body, "application/json").accepted[0].alert_id
    hub.follower.catch_up()
    settings = hub.settings
    hub.close()
    older = VERSION - 1  # what a hub of the previous layout wrote in both files
    mark(settings.views_db, older)
    mark(settings.events_db, older)

    again = make_hub()
    assert again.service.alert_state(alert_id) is not None  # the events were kept in place
    assert not list(settings.events_db.parent.glob(f"{settings.events_db.name}.*"))
    assert list(settings.views_db.parent.glob(f"{settings.views_db.name}.incompatible-*"))
    again.follower.catch_up()
    (item,) = again.reads.view("burgernet", None).items  # rebuilt from the kept events
    assert item["alert_id"] == str(alert_id)


def test_a_corrupt_events_file_stops_the_hub_and_stays_where_it_is(make_hub: HubFactory) -> None:
    """The views can be rebuilt from the events; the events from nothing: never moved aside."""
    hub = make_hub()
    body = (EXAMPLES / "cap" / "a2-severe-thunderstorm.xml").read_bytes()
    for n in range(40):  # enough pages to spoil the middle of
        hub.service.ingest("cap", body.replace(b"KSTO1055887203", f"RUN{n}".encode()), CAP)
    settings = hub.settings
    hub.store.home.connect().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    hub.close()
    spoil_middle_pages(settings.events_db)

    with pytest.raises(CorruptFileError, match="restore it from a backup") as refused:
        make_hub()
    assert str(settings.events_db) in str(refused.value)
    assert settings.events_db.exists()
    assert not list(settings.events_db.parent.glob(f"{settings.events_db.name}.*"))
