"""Group commit on a real store: messages ingested at the same moment share a transaction, and
each caller is still answered with its own outcome, durably, in order, idempotently."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from domain.errors import IdentifierReusedError
from hub.service import IngestResult
from tests.conftest import HubFactory
from tests.factories import cap, later, message

CALLERS = 12


@pytest.fixture
def hub_backend(both_backends: dict[str, Any]) -> dict[str, Any]:
    return both_backends


def at_once(calls: list[Callable[[], IngestResult]]) -> list[IngestResult | BaseException]:
    """Run the calls from as many threads, released together so their commits meet."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], IngestResult]) -> IngestResult | BaseException:
        start.wait()
        try:
            return call()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_distinct_messages_at_once_are_each_accepted_with_their_own_events(
    make_hub: HubFactory,
) -> None:
    hub = make_hub()
    messages = [message(f"m{i}") for i in range(CALLERS)]
    results = at_once([lambda m=m: hub.service.handle([cap(m)]) for m in messages])  # type: ignore[misc]
    assert all(isinstance(r, IngestResult) for r in results)
    accepted = [r for r in results if isinstance(r, IngestResult)]
    assert [len(r.accepted) for r in accepted] == [1] * CALLERS
    assert len({r.accepted[0].alert_id for r in accepted}) == CALLERS
    assert all(r.accepted[0].events[0].version == 1 for r in accepted)
    # each answer names a position its own event is at, and the store holds them all
    head = hub.store.max_position()
    assert all(0 < r.position <= head for r in accepted)
    hub.follower.catch_up()
    assert sum(hub.follower.lag().values()) == 0
    ids = {str(r.accepted[0].alert_id) for r in accepted}
    rows = hub.views.connect().execute("SELECT alert_id FROM alerts").fetchall()
    assert {row[0] for row in rows} == ids


def test_the_same_message_at_once_is_recorded_once(make_hub: HubFactory) -> None:
    hub = make_hub()
    same = message("once")
    results = at_once([lambda: hub.service.handle([cap(same)])] * CALLERS)
    assert all(isinstance(r, IngestResult) for r in results)
    accepted = [r for r in results if isinstance(r, IngestResult) and r.accepted]
    assert len(accepted) == 1
    assert sum(r.duplicates for r in results if isinstance(r, IngestResult)) == CALLERS - 1
    alert = accepted[0].accepted[0].alert_id
    assert [e.originator_version for e in hub.store.events.get(alert)] == [1]


def test_updates_of_one_alert_at_once_get_consecutive_versions(make_hub: HubFactory) -> None:
    hub = make_hub()
    original = message()
    hub.service.handle([cap(original)])
    updates = [
        message(f"u{i}", msg_type="Update", sent=later(i + 1), references=[original])
        for i in range(CALLERS)
    ]
    results = at_once([lambda u=u: hub.service.handle([cap(u)]) for u in updates])  # type: ignore[misc]
    versions = sorted(
        e.version
        for r in results
        if isinstance(r, IngestResult)
        for a in r.accepted
        for e in a.events
    )
    assert versions == list(range(2, CALLERS + 2))
    alert = next(r for r in results if isinstance(r, IngestResult)).accepted[0].alert_id
    stored = [e.originator_version for e in hub.store.events.get(alert)]
    assert stored == list(range(1, CALLERS + 2))


def test_messages_waiting_for_one_alert_are_not_decided_again_while_it_is_taken(
    make_hub: HubFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message deferred because an earlier one of its batch writes its alert is decided again
    only once that alert is free: each update of one alert is decided at most twice, however
    many wait (deciding every waiter in every batch made a busy alert, or a channel's feed,
    cost the square of its waiters)."""
    hub = make_hub()
    original = message()
    hub.service.handle([cap(original)])
    decided: list[object] = []
    decide = hub.service._decide

    def counted(work: Any, loaded: Any = None) -> Any:
        decided.append(work)
        return decide(work, loaded)

    monkeypatch.setattr(hub.service, "_decide", counted)
    updates = [
        message(f"u{i}", msg_type="Update", sent=later(i + 1), references=[original])
        for i in range(CALLERS)
    ]
    results = at_once([lambda u=u: hub.service.handle([cap(u)]) for u in updates])  # type: ignore[misc]
    assert all(isinstance(r, IngestResult) and r.accepted for r in results)
    assert max(decided.count(work) for work in decided) <= 2


def test_a_refused_message_fails_alone(make_hub: HubFactory) -> None:
    hub = make_hub()
    reused = message("reused")
    hub.service.handle([cap(reused)])
    clash = message("reused", sent=later(5))  # same identifier, other content: refused
    calls = [lambda m=m: hub.service.handle([cap(m)]) for m in map(message, ["a", "b", "c"])]
    results = at_once([*calls, lambda: hub.service.handle([cap(clash)])])  # type: ignore[misc]
    assert isinstance(results[-1], IdentifierReusedError)
    assert all(isinstance(r, IngestResult) and len(r.accepted) == 1 for r in results[:-1])
