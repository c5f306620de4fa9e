"""The store's contract, on SQLite files and on PostgreSQL: durability, restart, idempotency,
concurrent writers, and views that follow it exactly once."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from domain.identity import alert_id
from projections.alerts import AlertQuery, find_alerts, get_alert
from tests.conftest import EXAMPLES, HubFactory
from tests.factories import T0, cap, later, message

CAP = EXAMPLES / "cap"


@pytest.fixture
def hub_backend(both_backends: dict[str, Any]) -> dict[str, Any]:
    return both_backends


def post(hub, path: Path):  # type: ignore[no-untyped-def]
    return hub.service.ingest("cap", path.read_bytes(), "application/cap+xml")


def test_accepted_events_are_on_disk_and_survive_a_restart(make_hub: HubFactory) -> None:
    """State written by one hub process is read back by a fresh one on the same files."""
    first = make_hub()
    results = [post(first, p) for p in sorted(CAP.glob("*.xml"))]
    assert all(r.accepted for r in results)
    first.close()

    second = make_hub()
    second.follower.catch_up()
    states = find_alerts(second.views.connect(), AlertQuery(lifecycle=None), T0).items
    assert len(states) == 4
    assert second.store.max_position() == results[-1].position


def test_reposting_after_restart_is_a_duplicate(make_hub: HubFactory) -> None:
    """Idempotency is kept in the store, not in memory."""
    first = make_hub()
    post(first, CAP / "a2-severe-thunderstorm.xml")
    head = first.store.max_position()
    first.close()
    second = make_hub()
    result = post(second, CAP / "a2-severe-thunderstorm.xml")
    assert (result.accepted, result.duplicates) == ([], 1)
    assert second.store.max_position() == head


def test_view_rows_and_position_move_together(make_hub: HubFactory) -> None:
    """After catch-up, the view's position is the store's head and every alert has its version."""
    hub = make_hub()
    first = message()
    hub.service.handle([cap(first)])
    hub.service.handle([cap(message("m2", msg_type="Update", sent=later(1), references=[first]))])
    hub.follower.catch_up()
    assert hub.follower.lag() == {"alerts": 0, "views": 0, "incidents": 0, "places": 0}
    state = get_alert(hub.views.connect(), alert_id(first.key))
    assert state is not None
    assert state.version == 2


def test_concurrent_writers_to_one_alert_are_serialized(make_hub: HubFactory) -> None:
    """Two hubs on the same file updating one alert: conflicts are retried, nothing is lost."""
    a, b = make_hub(), make_hub()
    original = message()
    a.service.handle([cap(original)])
    updates = [
        message(f"u{i}", msg_type="Update", sent=later(i + 1), references=[original])
        for i in range(20)
    ]

    def send(hub, items) -> None:  # type: ignore[no-untyped-def]
        for item in items:
            hub.service.handle([cap(item)])

    threads = [
        threading.Thread(target=send, args=(a, updates[0::2])),
        threading.Thread(target=send, args=(b, updates[1::2])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a.follower.catch_up()
    state = get_alert(a.views.connect(), alert_id(original.key))
    assert state is not None
    assert state.version == 21
    assert len(state.messages) == 21
    assert state.current.identifier == "u19"  # the newest by `sent` is shown, whatever the order


def test_an_empty_hub_has_no_lag(make_hub: HubFactory) -> None:
    """A fresh data folder is ready and caught up, not one event behind."""
    hub = make_hub()
    assert hub.follower.lag() == {"alerts": 0, "views": 0, "incidents": 0, "places": 0}


def test_a_channels_open_threads_come_from_the_store_past_snapshots(make_hub: HubFactory) -> None:
    """The feed aggregate is saved with the alerts and read back whole, snapshots included."""
    from domain.commands import EndMissingAlerts
    from domain.feed import ChannelFeed, feed_id

    hub = make_hub()
    for number in range(60):  # 120 feed events: past the snapshot interval of 100
        hub.service.handle([cap(message(f"t{number}"), thread=f"cap:{number}")])
        hub.service.handle([EndMissingAlerts(channel="cap", present=frozenset())])
    hub.service.handle([cap(message("last", sent=later(1)), thread="cap:last")])
    feed = hub.store.repository.get(feed_id("cap"))
    assert isinstance(feed, ChannelFeed)
    assert feed.version == 122
    assert feed.open == {"cap:last": alert_id("cap:last")}
    assert hub.store.snapshots is not None
    assert list(hub.store.snapshots.get(feed_id("cap")))


def test_a_views_file_from_before_bound_checkpoints_is_rebuilt(make_hub: HubFactory) -> None:
    """Old-shaped tables with an unbound checkpoint: emptied and rebuilt, never half-read."""
    first = make_hub()
    first.service.handle([cap(message("kept"))])
    first.follower.catch_up()
    with first.views.transaction() as conn:
        conn.execute("DELETE FROM position_streams")  # as before checkpoints were bound
        conn.execute("DROP TABLE alert_versions")
        conn.execute("CREATE TABLE alert_versions (alert_id TEXT, version INT, state TEXT)")
    first.close()
    hub = make_hub()
    hub.follower.catch_up()
    assert hub.views.stream_of("alerts") == hub.stream.identity
    assert hub.views.checkpoint("alerts") == hub.stream.head()
    (state,) = hub.reads.alerts(AlertQuery(lifecycle=None)).items
    assert state.current.identifier == "kept"
