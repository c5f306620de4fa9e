"""The alerts view folded a page at a time equals the view folded event by event, row for row.

A realistic history (updates, cancels, an update ahead of its original, an outdated message,
geocodes that change, a second channel joining, an erasure in the middle of the stream) is
applied both ways on both engines; a poisoned event in the middle of a page must give the same
view and the same dead letter; a page delivered again changes nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from domain.alert import PersonalDataErased
from domain.commands import command_for
from domain.lifetimes import Lifetimes
from domain.model import AlertMessage
from domain.state import AlertState
from hub.bootstrap import Hub
from hub.streaming.embedded import EmbeddedStream
from projections.alerts import AlertsProjection
from projections.base import PageProjection, apply_page, deadletters, install
from projections.database import Connection
from projections.stream import Event, StreamRecord
from tests.conftest import HubFactory
from tests.factories import info, later, message
from tests.integration.test_rebuild import fill
from tests.privacy_helpers import burgernet_action, unique_person

LIFETIMES = {"burgernet": 2.0, "*": 48.0}  # assumed expiries are part of the stored state


@pytest.fixture
def hub_backend(both_backends: dict[str, Any]) -> dict[str, Any]:
    """The views' contract holds on SQLite and PostgreSQL alike."""
    return both_backends


class OneByOne:
    """A projection seen without its page hook: the per-event path, the reference."""

    def __init__(self, inner: AlertsProjection) -> None:
        self.inner, self.name, self.prefix = inner, inner.name, inner.prefix
        self.tables = inner.tables

    def create_tables(self, conn: Connection) -> None:
        self.inner.create_tables(conn)

    def apply(self, conn: Connection, event: Event) -> None:
        self.inner.apply(conn, event)


class Counted(AlertsProjection):
    """Counts the events that took the per-event path."""

    one_by_one = 0

    def apply(self, conn: Connection, event: Event) -> None:
        self.one_by_one += 1
        super().apply(conn, event)


class Poisoned(Lifetimes):
    """Lifetimes that cannot stamp one version of one alert (a poisoned event, on any path)."""

    def __init__(self, alert_id: UUID, version: int) -> None:
        super().__init__(LIFETIMES)
        self.poison = (alert_id, version)

    def stamp(self, state: AlertState) -> AlertState:
        if (state.alert_id, state.version) == self.poison:
            raise ValueError("this version cannot be stamped")
        return super().stamp(state)


def geocoded(identifier: str, codes: list[str], **fields: Any) -> AlertMessage:
    areas = [{"description": "Gebied", "geocodes": [{"name": "CBS", "value": c} for c in codes]}]
    return message(identifier, info=[info(areas=areas)], **fields)


def handle(hub: Hub, msg: AlertMessage, channel: str = "cap") -> UUID:
    return hub.service.handle([command_for(channel, msg)]).accepted[0].alert_id


def history(hub: Hub) -> list[StreamRecord]:
    """Every kind of event the alerts view folds, interleaved across alerts."""
    fill(hub)
    first = geocoded("g1", ["GM0086", "GM0014"], sent=later(0))
    alert_id = handle(hub, first)
    handle(hub, geocoded("g2", ["GM0014", "GM0344"], msg_type="Update", sent=later(10),
                         references=[first]), channel="nlalert")  # fmt: skip
    handle(hub, geocoded("g0", ["GM0086"], msg_type="Update", sent=later(5), references=[first]))
    original = message("o1", sent=later(20))
    ahead = handle(hub, message("o2", msg_type="Update", sent=later(30), references=[original]))
    person = burgernet_action(unique_person(), update="Hij draagt een rode pet.")
    erased = hub.service.ingest("burgernet", person, "application/json").accepted[0].alert_id
    hub.eraser.erase(erased, by="test", reason="asked")
    assert handle(hub, original) == ahead  # linked after it
    handle(hub, geocoded("g3", ["GM0344"], msg_type="Update", sent=later(40), references=[first]))
    handle(hub, geocoded("c1", ["GM0344"], msg_type="Cancel", sent=later(50), references=[first]))
    records = EmbeddedStream(hub.store).read({}, 10_000)
    assert {type(r.event).__name__ for r in records} >= {
        "AlertIssued",
        "AlertUpdated",
        "AlertEnded",
        "MessageRecorded",
        "OriginalLinked",
        "PersonalDataErased",
    }
    assert alert_id != ahead
    return records


def view(conn: Connection, prefix: str) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: sorted(tuple(row) for row in conn.execute(f"SELECT * FROM {prefix}{table}"))
        for table in AlertsProjection.tables
    }


def letters(hub: Hub, name: str) -> list[tuple[object, ...]]:
    return [
        tuple(v for k, v in letter.items() if k != "projection")
        for letter in deadletters(hub.views, name)
    ]


def by_pages(hub: Hub, projection: PageProjection, records: list[StreamRecord], size: int) -> None:
    install(hub.views, projection)
    for start in range(0, len(records), size):
        apply_page(hub.views, projection, records[start : start + size])


def test_a_view_folded_by_pages_equals_the_view_folded_event_by_event(
    make_hub: HubFactory,
) -> None:
    hub = make_hub()
    records = history(hub)
    reference = OneByOne(AlertsProjection("single_", Lifetimes(LIFETIMES)))
    install(hub.views, reference)
    assert apply_page(hub.views, reference, records) == len(records)
    conn = hub.views.connect()
    expected = view(conn, "single_")
    assert all(expected.values())
    joined: dict[object, set[object]] = {}  # the history does what it says: a channel joined,
    for alert, channel, _ in expected["alert_channels"]:
        joined.setdefault(alert, set()).add(channel)
    assert {"cap", "nlalert"} in joined.values()
    assert any(until is not None for *_, until in expected["alert_geocodes"])  # a geocode left
    # Pages that cut histories in the middle, and the whole stream as one page.
    erasures = sum(isinstance(r.event, PersonalDataErased) for r in records)
    for size in (3, 7, len(records)):
        paged = Counted(f"paged{size}_", Lifetimes(LIFETIMES))
        by_pages(hub, paged, records, size)
        assert view(conn, paged.prefix) == expected, size
        assert paged.one_by_one == erasures  # only they take the per-event path
    assert not deadletters(hub.views, "paged3_alerts")
    assert not deadletters(hub.views, reference.name)


def test_a_poisoned_event_in_a_page_gives_the_same_view_and_dead_letter(
    make_hub: HubFactory,
) -> None:
    hub = make_hub()
    records = history(hub)
    middle = next(r for r in records[len(records) // 2 :] if r.event.originator_version == 2)
    poison = Poisoned(middle.event.originator_id, 2)
    reference = OneByOne(AlertsProjection("single_", poison))
    install(hub.views, reference)
    apply_page(hub.views, reference, records)
    paged = AlertsProjection("paged_", poison)
    by_pages(hub, paged, records, 10)
    conn = hub.views.connect()
    assert view(conn, "paged_") == view(conn, "single_")
    expected = letters(hub, reference.name)
    assert [(m[0], m[1]) for m in expected] == [(middle.partition, middle.position)]
    assert "cannot be stamped" in str(expected[0][-1])
    assert letters(hub, paged.name) == expected


def test_a_page_delivered_again_changes_nothing(make_hub: HubFactory) -> None:
    hub = make_hub()
    records = history(hub)
    paged = AlertsProjection("paged_", Lifetimes(LIFETIMES))
    by_pages(hub, paged, records, 9)
    conn = hub.views.connect()
    before = view(conn, "paged_")
    assert apply_page(hub.views, paged, records) == 0  # past the checkpoint: not even read
    with hub.views.transaction() as conn:  # past the checkpoint's guard: each alert's version
        paged.apply_page(conn, [r.event for r in records])
    assert view(hub.views.connect(), "paged_") == before
