"""Rebuilding a view from the stream gives the view the live projection built, without downtime."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from domain.lifetimes import Lifetimes
from domain.state import AlertState
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

    class Brittle(Lifetimes):  # fails a page and each event alike
        def stamp(self, state: AlertState) -> AlertState:
            if state.version == 2:
                raise ValueError("cannot apply a second version")
            return super().stamp(state)

    brittle = AlertsProjection(prefix="brittle_", lifetimes=Brittle())
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


class Versions:
    """A tiny view of (alert, version) rows that can fold a page at once; version 2 is poison."""

    tables = ("seen",)

    def __init__(self, prefix: str) -> None:
        self.prefix, self.name, self.pages = prefix, f"{prefix}seen", 0

    def create_tables(self, conn: Connection) -> None:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {self.prefix}seen (alert_id TEXT NOT NULL,"
            " version INTEGER NOT NULL, PRIMARY KEY (alert_id, version))"
        )

    def apply(self, conn: Connection, event: Any) -> None:
        self.apply_page(conn, [event])

    def apply_page(self, conn: Connection, events: Any) -> None:
        self.pages += 1
        for event in events:  # rows written before the poison must not survive it
            conn.execute(
                f"INSERT INTO {self.prefix}seen VALUES (?, ?)",
                (str(event.originator_id), event.originator_version),
            )
            if event.originator_version == 2:
                raise ValueError("cannot apply a second version")


def test_a_page_is_folded_in_one_pass_and_a_poisoned_page_falls_back_to_events(
    make_hub: HubFactory,
) -> None:
    """One call per page when it goes through; when a page raises, its rows are rolled back and
    it is applied event by event: the same rows and dead letters as the per-event path."""
    hub = make_hub()
    fill(hub)
    records = EmbeddedStream(hub.store).read({}, 1000)
    clean = [r for r in records if r.event.originator_version != 2]
    poisoned = [r for r in records if r.event.originator_version == 2]
    assert clean
    assert poisoned
    paged = Versions("paged_")
    install(hub.views, paged)
    assert apply_page(hub.views, paged, clean) == len(clean)
    assert paged.pages == 1
    fallback = Versions("fallback_")
    install(hub.views, fallback)
    assert apply_page(hub.views, fallback, records) == len(records)
    assert fallback.pages == 1 + len(records)  # the page, then each event on its own
    conn = hub.views.connect()
    rows = {
        p: sorted(tuple(r) for r in conn.execute(f"SELECT * FROM {p}seen"))
        for p in ("paged_", "fallback_")
    }
    assert rows["fallback_"] == rows["paged_"]
    assert len(rows["paged_"]) == len(clean)
    letters = deadletters(hub.views, fallback.name)
    assert [(d["partition"], d["position"]) for d in letters] == [
        (r.partition, r.position) for r in poisoned
    ]
    assert hub.views.checkpoint(fallback.name) == {0: records[-1].position}
    assert apply_page(hub.views, fallback, records) == 0  # re-delivered: nothing applied again
