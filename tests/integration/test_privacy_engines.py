"""Sealing, erasure and retention on both engines: SQLite files, and a PostgreSQL database.

The same flow runs on each: the store keeps only ciphertext of the person, the views show it,
retention proposes the ended alert, the erasure rewrites the views, and a rebuild keeps it erased.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.personal import ERASED
from hub.bootstrap import Hub
from projections.alerts import get_alert
from tests.conftest import HubFactory
from tests.privacy_helpers import burgernet_action, rebuild_all, unique_person


@pytest.fixture
def hub_backend(both_backends: dict[str, Any]) -> dict[str, Any]:
    return both_backends


def post(hub: Hub, body: bytes) -> UUID:
    result = hub.service.ingest("burgernet", body, "application/json")
    hub.follower.catch_up()
    return result.accepted[0].alert_id


def stored_bytes(hub: Hub, alert_id: UUID) -> bytes:
    """Every stored event of the alert as the store keeps it (its state column's bytes)."""
    return b"".join(bytes(r.state) for r in hub.store.recorder.select_events(alert_id))


def test_sealed_then_erased_then_rebuilt(make_hub: HubFactory) -> None:
    hub = make_hub(retention={"burgernet": timedelta(0)})
    person = unique_person()
    alert_id = post(hub, burgernet_action(person, ended=True))
    kept = post(hub, burgernet_action(unique_person()))  # not ended: not due
    assert person.encode() not in stored_bytes(hub, alert_id)
    state = get_alert(hub.views.connect(), alert_id)
    assert state is not None
    assert person in state.model_dump_json()  # its first message names the person

    assert [due.alert_id for due in hub.eraser.due()] == [alert_id]
    assert [e.alert_id for e in hub.eraser.erase_due()] == [alert_id]
    hub.follower.catch_up()
    assert hub.eraser.candidates() == []

    state = get_alert(hub.views.connect(), alert_id)
    assert state is not None
    assert state.erasure is not None
    assert state.erasure.by == "retention:burgernet"
    assert ERASED in state.current.model_dump_json()
    assert person not in state.model_dump_json()
    rebuild_all(hub)
    rebuilt = get_alert(hub.views.connect(), alert_id)
    assert rebuilt is not None
    assert rebuilt.erasure is not None
    assert person not in rebuilt.model_dump_json()
    assert get_alert(hub.views.connect(), kept).erasure is None  # type: ignore[union-attr]
