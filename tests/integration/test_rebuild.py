"""Rebuilding a view from the stream gives the view the live projection built, without downtime."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from hub.bootstrap import Hub, live_projections
from hub.storage.postgres import PostgresViewDatabase
from hub.streaming.embedded import EmbeddedStream
from projections.alerts import AlertsProjection
from projections.base import apply_page, deadletters, install
from projections.channel_views import ChannelViewsProjection
from projections.database import Connection, ViewDatabase
from projections.incidents import IncidentsProjection
from projections.places import PlacesProjection
from projections.rebuild import rebuild
from tests.conftest import EXAMPLES, HubFactory

TABLES = (
    *AlertsProjection.tables,
    *ChannelViewsProjection.tables,
    *IncidentsProjection.tables,
    *PlacesProjection.tables,
)


@pytest.fixture
def hub_backend(both_backends: dict[str, Any]) -> dict[str, Any]:
    """Rebuilds are part of the views' contract: SQLite and PostgreSQL alike."""
    return both_backends


def snapshot(conn: Connection) -> dict[str, list[tuple[object, ...]]]:
    return {t: sorted(tuple(r) for r in conn.execute(f"SELECT * FROM {t}")) for t in TABLES}


def fill(hub) -> None:  # type: ignore[no-untyped-def]
    for channel, pattern, media in (
        ("cap", "cap/*.xml", "application/cap+xml"),
        ("burgernet", "burgernet/*.json", "application/json"),
        ("amber", "amber/*.json", "application/json"),
        ("nlalert", "nlalert/*.json", "application/json"),
    ):
        for path in sorted(EXAMPLES.glob(pattern)):
            hub.service.ingest(channel, path.read_bytes(), media)


def live(hub: Hub, prefix: str) -> list[Any]:
    return list(live_projections(hub.channels, hub.geography, hub.lifetimes, prefix))


def test_rebuilt_view_is_identical_to_the_live_one(make_hub: HubFactory) -> None:
    hub = make_hub()
    fill(hub)
    hub.follower.catch_up()
    before = snapshot(hub.views.connect())
    assert before["alerts"]
    assert before["channel_views"]
    for index in range(4):  # alerts, incidents, places, every channel's materialized view
        report = rebuild(
            hub.views,
            EmbeddedStream(hub.store),
            lambda prefix, i=index: live(hub, prefix)[i],
        )
        assert report.applied > 0
    assert snapshot(hub.views.connect()) == before
    assert hub.views.checkpoint("alerts") == EmbeddedStream(hub.store).head()
    assert hub.views.checkpoint("views") == EmbeddedStream(hub.store).head()
    assert not table_names(hub.views, "rebuild__")
    assert not hub.views.index_names(hub.views.connect(), "rebuild__")


def table_names(db: ViewDatabase, prefix: str) -> list[str]:
    sql = (
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        if isinstance(db, PostgresViewDatabase)
        else "SELECT name FROM sqlite_master WHERE type='table'"
    )
    return [r[0] for r in db.connect().execute(sql) if r[0].startswith(prefix)]


def test_reads_keep_working_during_a_rebuild(make_hub: HubFactory) -> None:
    """The live view answers throughout; nobody sees an empty or half-built table."""
    hub = make_hub()
    fill(hub)
    hub.follower.catch_up()
    count = hub.views.connect().execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
    seen: list[int] = []
    stop = threading.Event()

    def reader() -> None:
        conn = hub.views.connect()  # this thread's own connection
        while not stop.is_set():
            seen.append(conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0])

    thread = threading.Thread(target=reader)
    thread.start()
    for _ in range(3):
        rebuild(hub.views, EmbeddedStream(hub.store), AlertsProjection, page_size=5)
    stop.set()
    thread.join()
    assert seen
    assert set(seen) == {count}


def test_an_event_the_view_cannot_apply_is_set_aside_and_the_view_goes_on(
    make_hub: HubFactory,
) -> None:
    hub = make_hub()
    fill(hub)
    stream = EmbeddedStream(hub.store)
    records = stream.read({}, 1000)

    class Brittle(AlertsProjection):
        def apply(self, conn, event):  # type: ignore[no-untyped-def]
            if event.originator_version == 2:
                raise ValueError("cannot apply a second version")
            super().apply(conn, event)

    brittle = Brittle(prefix="brittle_")
    install(hub.views, brittle)
    poisoned = [r for r in records if r.event.originator_version == 2]
    assert poisoned
    applied = apply_page(hub.views, brittle, records)
    assert applied == len(records)
    assert hub.views.checkpoint(brittle.name) == {0: records[-1].position}
    letters = deadletters(hub.views, brittle.name)
    assert [(d["partition"], d["position"]) for d in letters] == [
        (r.partition, r.position) for r in poisoned
    ]
    assert "cannot apply" in str(letters[0]["error"])
