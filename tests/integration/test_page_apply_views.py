"""The channel views applied a page at a time equal the views applied event by event.

The history of the incidents and places page tests (every channel's examples, updates that move
an alert, an update ahead of its original, a cancel, an erasure) on both engines, pages of
several sizes through the runner's real hook; a page delivered again changes nothing; a poisoned
event in the middle of a page is set aside exactly as event by event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from adapters.base import Channel
from domain.alert import PersonalDataErased
from domain.lifetimes import Lifetimes
from domain.state import AlertState
from projections.base import apply_page, deadletters, install
from projections.channel_views import ERASED_RENDERING, ChannelViewsProjection
from projections.database import Connection
from projections.folding import fold_page, histories, with_history
from projections.states import message_row
from projections.stream import Event, StreamRecord
from tests.conftest import HubFactory
from tests.integration.test_page_apply import (
    again,
    build_both,
    history,
    one_by_one,
    paged,
    rows,
    same_view_and_letter,
)

LIFETIMES = Lifetimes({"burgernet": 2.0, "*": 48.0})  # assumed expiries are part of the states


@pytest.fixture
def hub_backend(both_backends: dict[str, Any]) -> dict[str, Any]:
    """The views' contract holds on SQLite and PostgreSQL alike."""
    return both_backends


class Counted(ChannelViewsProjection):
    """Counts the events that took the per-event path."""

    one_by_one = 0

    def apply(self, conn: Connection, event: Event) -> None:
        self.one_by_one += 1
        super().apply(conn, event)


@pytest.mark.parametrize("size", [1, 4, 500])
def test_a_page_applied_view_equals_the_event_by_event_one(make_hub: HubFactory, size: int) -> None:
    hub = make_hub()
    records = history(hub)
    reference = ChannelViewsProjection(hub.channels, "one_", LIFETIMES)
    candidate = Counted(hub.channels, "page_", LIFETIMES)
    build_both(hub.views, reference, candidate, records, size)
    erasures = sum(isinstance(r.event, PersonalDataErased) for r in records)
    assert candidate.one_by_one == erasures  # only they take the per-event path
    expected = rows(hub.views, reference)
    assert all(expected.values()), expected  # every table holds rows: the history reached it
    assert rows(hub.views, candidate) == expected
    again(hub.views, candidate, records, 3)  # delivered again, cut differently
    assert rows(hub.views, candidate) == expected
    assert not deadletters(hub.views, candidate.name)


def test_the_history_selects_closes_and_erases(make_hub: HubFactory) -> None:
    """The equality above is worth something: every channel selects, rows close, one erases."""
    hub = make_hub()
    projection = ChannelViewsProjection(hub.channels, "page_", LIFETIMES)
    install(hub.views, projection)
    paged(hub.views, projection, history(hub), 500)
    conn = hub.views.connect()
    selected = {row[0] for row in conn.execute("SELECT DISTINCT channel FROM page_channel_views")}
    assert selected == set(hub.channels)
    closed = conn.execute("SELECT COUNT(*) FROM page_channel_views WHERE valid_to IS NOT NULL")
    assert closed.fetchone()[0] >= 1
    erased = conn.execute(
        "SELECT COUNT(*) FROM page_channel_views WHERE native=? AND lost=?", ERASED_RENDERING
    )
    assert erased.fetchone()[0] >= 1


class Poisoned:
    """A channel that cannot judge one version of one alert (a poisoned event, on any path)."""

    def __init__(self, inner: Channel, poison: tuple[object, int]) -> None:
        self.inner, self.poison = inner, poison

    def selects(self, alert: AlertState) -> bool:
        if (alert.alert_id, alert.version) == self.poison:
            raise ValueError("this version cannot be judged")
        return self.inner.selects(alert)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def poisoned(channels: Mapping[str, Channel], record: StreamRecord) -> dict[str, Any]:
    poison = (record.event.originator_id, record.event.originator_version)
    return {name: Poisoned(c, poison) if name == "cap" else c for name, c in channels.items()}


def test_a_poisoned_event_mid_page_is_set_aside_as_event_by_event(make_hub: HubFactory) -> None:
    hub = make_hub()
    records = history(hub)
    middle = next(r for r in records[len(records) // 2 :] if r.event.originator_version == 2)
    channels = poisoned(hub.channels, middle)
    reference = ChannelViewsProjection(channels, "one_", LIFETIMES)
    candidate = ChannelViewsProjection(channels, "page_", LIFETIMES)
    for projection in (reference, candidate):
        install(hub.views, projection)
    for record in records:  # event by event: one record a page
        apply_page(hub.views, reference, [record])
    assert apply_page(hub.views, candidate, records) == len(records)
    letter = same_view_and_letter(hub.views, reference, candidate, middle)
    assert "cannot be judged" in str(letter["error"])


@pytest.mark.parametrize("cut", [0, 0.5])
def test_a_pages_histories_are_the_states_whole_histories(make_hub: HubFactory, cut: float) -> None:
    """Each step's state with the page's histories holds the messages, in the order, that
    `StateTables.whole` reads back for it (a channel may judge by them in any way)."""
    hub = make_hub()
    records = [r for r in history(hub) if not isinstance(r.event, PersonalDataErased)]
    projection = ChannelViewsProjection(hub.channels, "page_", LIFETIMES)
    install(hub.views, projection)
    start = int(len(records) * cut)
    one_by_one(hub.views, projection, records[:start])
    with hub.views.transaction() as conn:
        steps = fold_page(conn, "page_view_states", [r.event for r in records[start:]])
        kept = histories(conn, "page_view_messages", steps)
        projection.states.keep_messages(conn, [message_row(s.state, s.message) for s in steps])
        lengths = []
        for step in steps:
            (whole,) = projection.states.whole(conn, [step.state])
            mine = with_history(step.state, kept[step.alert_id])
            assert [m.model_dump() for m in mine.messages] == [
                m.model_dump() for m in whole.messages
            ]
            lengths.append(len(whole.messages))
    assert max(lengths) > 2  # histories of several messages were compared
