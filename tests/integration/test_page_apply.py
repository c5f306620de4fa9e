"""The incidents and places views applied a page at a time equal the views applied event by event.

A realistic history on both engines: every channel's examples, updates that move an alert's area,
an update ahead of its original, a cancel, incidents joined by token, by reference and merged,
an erasure. Pages of several sizes cut across it; a page delivered again changes nothing; a
poisoned event in the middle of a page is set aside exactly as event by event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from domain.alert import AlertIssued
from domain.personal import ERASED
from domain.state import AlertState
from geography import Geography
from geography.places import areas_of
from hub.bootstrap import Hub
from hub.streaming.embedded import EmbeddedStream
from projections import base
from projections.base import PageProjection, apply_page, deadletters, install
from projections.database import Connection, ViewDatabase
from projections.incidents import IncidentsProjection
from projections.places import PlacesProjection
from projections.stream import Event, StreamRecord
from tests.conftest import HubFactory
from tests.factories import T0, cap, info, later, message
from tests.integration.test_rebuild import fill

ELSEWHERE = {  # Amsterdam instead of Tolbert: other places, another box
    "description": "Amsterdam",
    "polygons": [[[52.36, 4.88], [52.38, 4.88], [52.38, 4.92], [52.36, 4.92], [52.36, 4.88]]],
    "geocodes": [{"name": "CBS-GM", "value": "GM0363"}],
}


@pytest.fixture
def hub_backend(both_backends: dict[str, Any]) -> dict[str, Any]:
    """The views' contract holds on SQLite and PostgreSQL alike."""
    return both_backends


def history(hub: Hub) -> list[StreamRecord]:
    """Every channel's examples and the shapes of history that move incidents and places."""
    fill(hub)
    a = message("a1", sent=T0)
    moved = message(
        "a2", msg_type="Update", sent=later(1), references=[a], info=[info(areas=[ELSEWHERE])]
    )
    cancel = message("a3", msg_type="Cancel", sent=later(9), references=[moved])
    b = message("b1", sent=later(2), incidents=["storm"])
    c = message("c1", sent=later(3), incidents=["storm", "flood"])
    d = message("d1", sent=later(4), incidents=["storm"], references=[a])  # joins a and b
    original = message("o1", sent=later(5), incidents=["late"])
    ahead = message("o2", msg_type="Update", sent=later(6), references=[original])
    again = message("c2", msg_type="Update", sent=later(7), references=[c], incidents=["rain"])
    for step in (a, b, moved, c, ahead, d, original, again, cancel):
        hub.service.handle([cap(step)])
    records = EmbeddedStream(hub.store).read({}, 10_000)
    burgernet = next(
        r.event
        for r in records
        if isinstance(r.event, AlertIssued) and r.event.channel == "burgernet"
    )
    assert hub.eraser.erase(burgernet.originator_id, by="admin:test", reason="closed") is not None
    return EmbeddedStream(hub.store).read({}, 10_000)


def built(hub: Hub, prefix: str, places: Any = None) -> list[PageProjection]:
    geography = places or hub.geography
    return [IncidentsProjection(prefix, hub.lifetimes), PlacesProjection(geography, prefix)]


def one_by_one(
    db: ViewDatabase, projection: PageProjection, records: Sequence[StreamRecord]
) -> None:
    with db.transaction() as conn:
        for record in records:
            projection.apply(conn, record.event)


def paged(
    db: ViewDatabase, projection: PageProjection, records: Sequence[StreamRecord], size: int
) -> None:
    """Through the runner: past the checkpoint, each page in one pass."""
    for start in range(0, len(records), size):
        assert apply_page(db, projection, records[start : start + size]) > 0


def again(
    db: ViewDatabase, projection: PageProjection, records: Sequence[StreamRecord], size: int
) -> None:
    """Straight to the page hook, past the runner's checkpoint: pages delivered again."""
    for start in range(0, len(records), size):
        with db.transaction() as conn:
            projection.apply_page(conn, [r.event for r in records[start : start + size]])


def build_both(
    db: ViewDatabase,
    reference: PageProjection,
    candidate: PageProjection,
    records: Sequence[StreamRecord],
    size: int,
) -> None:
    """`reference` built event by event, `candidate` in pages of `size` that may not fall back
    to the per-event path."""
    install(db, reference)
    install(db, candidate)
    one_by_one(db, reference, records)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(base, "_apply_one", forbidden)
        paged(db, candidate, records, size)


def forbidden(*args: object) -> None:
    raise AssertionError("a page fell back to the per-event path")


def rows(db: ViewDatabase, projection: PageProjection) -> dict[str, list[tuple[object, ...]]]:
    conn, p = db.connect(), projection.prefix
    return {
        t: sorted(tuple(r) for r in conn.execute(f"SELECT * FROM {p}{t}"))
        for t in projection.tables
    }


@pytest.mark.parametrize("size", [1, 4, 500])
def test_a_page_applied_view_equals_the_event_by_event_one(make_hub: HubFactory, size: int) -> None:
    hub = make_hub()
    records = history(hub)
    for reference, candidate in zip(built(hub, "one_"), built(hub, "page_"), strict=True):
        build_both(hub.views, reference, candidate, records, size)
        expected = rows(hub.views, reference)
        assert all(expected.values()), expected  # every table holds rows: the history reached it
        assert rows(hub.views, candidate) == expected
        again(hub.views, candidate, records, 3)  # cut differently
        assert rows(hub.views, candidate) == expected


def test_the_history_merges_moves_and_erases(make_hub: HubFactory) -> None:
    """The equality above is worth something: the history does what it says."""
    hub = make_hub()
    records = history(hub)
    incidents, places = built(hub, "page_")
    for projection in (incidents, places):
        install(hub.views, projection)
        paged(hub.views, projection, records, 500)
    conn = hub.views.connect()
    merged = conn.execute("SELECT COUNT(*) FROM page_incidents WHERE merged_at IS NOT NULL")
    assert merged.fetchone()[0] >= 1
    moved = conn.execute("SELECT COUNT(*) FROM page_alert_bounds WHERE valid_to IS NOT NULL")
    assert moved.fetchone()[0] >= 1
    closed = conn.execute(
        "SELECT COUNT(*) FROM page_alert_places WHERE code='GM0086' AND valid_to IS NOT NULL"
    )
    assert closed.fetchone()[0] >= 1
    erased = conn.execute("SELECT COUNT(*) FROM page_incident_members WHERE headline=?", (ERASED,))
    assert erased.fetchone()[0] >= 1


class Poisoned(Geography):
    """The hub's geography, except that it cannot place the area an update moves an alert to."""

    def codes_of(self, alert: AlertState) -> set[str]:
        if any(area.description == ELSEWHERE["description"] for area in areas_of(alert)):
            raise ValueError("this area cannot be placed")
        return super().codes_of(alert)


def test_a_poisoned_event_mid_page_is_set_aside_as_event_by_event(
    make_hub: HubFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = make_hub()
    records = history(hub)
    (poison,) = [r for r in records if ELSEWHERE["description"] in str(r.event.__dict__)]
    places = Poisoned()
    reference, candidate = PlacesProjection(places, "one_"), PlacesProjection(places, "page_")
    for projection in (reference, candidate):
        install(hub.views, projection)
    for record in records:  # event by event: one record a page
        apply_page(hub.views, reference, [record])
    tried: list[int] = []
    hook = PlacesProjection.apply_page

    def counted(self: PlacesProjection, conn: Connection, events: Sequence[Event]) -> None:
        tried.append(len(events))
        hook(self, conn, events)

    monkeypatch.setattr(PlacesProjection, "apply_page", counted)
    assert apply_page(hub.views, candidate, records) == len(records)
    assert tried == [len(records)]  # the page was tried in one pass, then applied per event
    same_view_and_letter(hub.views, reference, candidate, poison)


def same_view_and_letter(
    db: ViewDatabase, reference: PageProjection, candidate: PageProjection, poison: StreamRecord
) -> dict[str, object]:
    """The candidate's rows and dead letters are the reference's, the one letter `poison`'s."""
    assert rows(db, candidate) == rows(db, reference)
    letters = [
        [{k: v for k, v in d.items() if k != "projection"} for d in deadletters(db, name)]
        for name in (reference.name, candidate.name)
    ]
    assert letters[0] == letters[1]
    assert [(d["partition"], d["position"]) for d in letters[1]] == [
        (poison.partition, poison.position)
    ]
    return letters[1][0]
