"""Channel views rendered on first read: the same answers, stored once, erasure never undone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from domain.personal import ERASED
from hub.bootstrap import Hub
from projections.alerts import get_alert
from projections.channel_views import ERASED_RENDERING, Renderer
from tests.conftest import EXAMPLES, HubFactory
from tests.privacy_helpers import burgernet_action, files_holding, unique_person

SAMPLES = (
    ("cap", "cap/*.xml", "application/cap+xml"),
    ("burgernet", "burgernet/*.json", "application/json"),
    ("amber", "amber/*.json", "application/json"),
    ("nlalert", "nlalert/*.json", "application/json"),
)


@pytest.fixture
def hub_backend(both_backends: dict[str, Any]) -> dict[str, Any]:
    """Readers store renderings: SQLite and PostgreSQL alike."""
    return both_backends


def fill(hub: Hub) -> None:
    for channel, pattern, media in SAMPLES:
        for path in sorted(EXAMPLES.glob(pattern)):
            hub.service.ingest(channel, path.read_bytes(), media)
    hub.follower.catch_up()


def rendered_rows(hub: Hub) -> int:
    row = hub.views.connect().execute("SELECT COUNT(*) FROM channel_views WHERE native IS NOT NULL")
    return int(row.fetchone()[0])


def post(hub: Hub, body: bytes) -> UUID:
    result = hub.service.ingest("burgernet", body, "application/json")
    hub.follower.catch_up()
    return result.accepted[0].alert_id


def stored_row(hub: Hub, alert_id: UUID) -> tuple[Any, ...]:
    """The burgernet row of the alert as a page reads it, state included (before any render)."""
    return tuple(
        hub.views.connect()
        .execute(
            "SELECT c.alert_id, c.version, c.native, c.lost, v.state FROM channel_views c"
            " JOIN view_versions v ON v.alert_id = c.alert_id AND v.version = c.version"
            " WHERE c.channel = 'burgernet' AND c.alert_id = ? AND c.valid_to IS NULL",
            (str(alert_id),),
        )
        .fetchone()
    )


def test_a_row_is_rendered_on_its_first_read_as_the_channel_renders_it(
    make_hub: HubFactory,
) -> None:
    hub = make_hub()
    fill(hub)
    assert rendered_rows(hub) == 0  # applying an event renders nothing
    conn = hub.views.connect()
    for name, channel in hub.channels.items():
        first = hub.reads.view(name, None, limit=1000).items
        assert first, name
        for item in first:
            state = get_alert(conn, UUID(item["alert_id"]))
            assert state is not None
            assert state.version == item["version"]  # the view now: each alert's last version
            rendering = channel.render(state)
            expected = json.loads(json.dumps(rendering.native, ensure_ascii=False))
            assert (item["native"], item["lost"]) == (expected, list(rendering.lost))
        stored = rendered_rows(hub)
        assert hub.reads.view(name, None, limit=1000).items == first  # now from the table
        assert rendered_rows(hub) == stored
    pages = hub.reads.view("cap", None, limit=2)
    assert pages.next is not None
    rest = hub.reads.view("cap", None, limit=1000, cursor=pages.next).items
    assert [*pages.items, *rest] == hub.reads.view("cap", None, limit=1000).items


def test_an_erasure_rewrites_a_rendering_already_read(make_hub: HubFactory) -> None:
    hub = make_hub()
    person = unique_person()
    alert_id = post(hub, burgernet_action(person, update="Gezien bij het station"))
    before = datetime.now(UTC)
    assert person in str(hub.reads.view("burgernet", None, limit=1000).items)  # now stored
    hub.eraser.erase(alert_id, by="admin:test", reason="found")
    hub.follower.catch_up()

    assert files_holding(hub.settings.data_dir, person) == []
    (then,) = [
        i
        for i in hub.reads.view("burgernet", None, as_of=before, limit=1000).items
        if i["alert_id"] == str(alert_id)
    ]
    assert (then["native"], then["lost"]) == ({}, [ERASED])
    (now,) = hub.reads.view("burgernet", None, limit=1000).items
    assert now["version"] > then["version"]
    assert person not in str(now)  # rendered from the erased state


def test_a_rendering_made_before_an_erasure_is_never_stored_after_it(
    make_hub: HubFactory,
) -> None:
    """A reader that read a row and its state just before an erasure committed renders the
    person, but finds the row erased when it stores: the erased row stands and is its answer."""
    hub = make_hub()
    person = unique_person()
    alert_id = post(hub, burgernet_action(person))
    stale = stored_row(hub, alert_id)
    assert stale[2] is None
    assert person in stale[4]
    hub.eraser.erase(alert_id, by="admin:test", reason="found")
    hub.follower.catch_up()

    answer = Renderer(hub.channels).fill(hub.views.connect(), "burgernet", [stale])
    assert answer == [ERASED_RENDERING]
    assert files_holding(hub.settings.data_dir, person) == []
