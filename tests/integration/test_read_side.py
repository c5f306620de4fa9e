"""The read side on SQLite and PostgreSQL: cursors, as-of from intervals, incidents as they
merge, and what the public may read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidQueryError
from domain.identity import alert_id
from domain.state import Lifecycle
from projections.alerts import AlertQuery
from projections.incidents import incident_id
from projections.paging import decode, encode
from tests.conftest import HubFactory
from tests.factories import T0, cap, info, later, message

FAR = datetime(2100, 1, 1, tzinfo=UTC)


@pytest.fixture
def hub_backend(both_backends: dict[str, Any]) -> dict[str, Any]:
    """Every statement of the read side runs on both engines."""
    return both_backends


def test_every_page_follows_the_cursor_without_gaps_or_repeats(make_hub: HubFactory) -> None:
    hub = make_hub()
    for number in range(23):  # some share a `sent`: the alert id breaks the tie
        hub.service.handle([cap(message(f"p{number}", sent=later(number // 3)))])
    hub.follower.catch_up()
    seen, cursor, pages = [], None, 0
    while True:
        page = hub.reads.alerts(AlertQuery(lifecycle=None, limit=5, cursor=cursor))
        seen += [s.alert_id for s in page.items]
        pages += 1
        if page.next is None:
            break
        cursor = page.next
    assert pages == 5
    assert len(seen) == len(set(seen)) == 23
    everything = hub.reads.alerts(AlertQuery(lifecycle=None, limit=1000)).items
    assert seen == [s.alert_id for s in everything]


def test_as_of_reads_the_version_valid_then_with_its_own_history(make_hub: HubFactory) -> None:
    hub = make_hub()
    first = message("v1", info=[info(headline="one")])
    hub.service.handle([cap(first)])
    between = datetime.now(UTC)
    update = message(
        "v2", msg_type="Update", sent=later(5), references=[first], info=[info(headline="two")]
    )
    hub.service.handle([cap(update)])
    hub.follower.catch_up()
    everything = AlertQuery(lifecycle=None)
    (then,) = hub.reads.alerts(everything, as_of=between).items
    (now,) = hub.reads.alerts(everything).items
    assert (then.version, then.current.info[0].headline, len(then.messages)) == (1, "one", 1)
    assert (now.version, now.current.info[0].headline, len(now.messages)) == (2, "two", 2)
    assert hub.reads.alerts(everything, as_of=between - timedelta(hours=1)).items == []
    single = hub.reads.alert(alert_id(first.key), as_of=between)
    assert single is not None
    assert single.version == 1
    # Each message is stored once, however many versions the alert has.
    conn = hub.views.connect()
    assert conn.execute("SELECT COUNT(*) FROM alert_messages").fetchone()[0] == 2
    assert conn.execute("SELECT COUNT(*) FROM alert_versions").fetchone()[0] == 2
    assert (
        conn.execute(
            "SELECT COUNT(*) FROM alert_versions WHERE state LIKE '%\"messages\":[]%'"
        ).fetchone()[0]
        == 2
    )


def test_lifecycle_is_judged_at_the_moment_asked(make_hub: HubFactory) -> None:
    hub = make_hub()
    expiring = message("e1", info=[info(expires=later(60))])
    hub.service.handle([cap(expiring)])
    hub.follower.catch_up()
    before, after = later(30), later(90)
    active, expired = AlertQuery(), AlertQuery(lifecycle=Lifecycle.EXPIRED)
    # The alert was recorded now (after T0), so as of T0+30min it did not exist yet; the
    # materialized rows judge expiry against the clock instead.
    assert hub.reads.alerts(active).items == []  # expired long ago, by the clock
    assert [s.alert_id for s in hub.reads.alerts(expired).items] == [alert_id(expiring.key)]
    assert hub.reads.alerts(active, as_of=before).items == []
    assert hub.reads.alerts(active, as_of=after).items == []


def test_incidents_group_by_token_and_answer_as_of(make_hub: HubFactory) -> None:
    """Alerts sharing a CAP incidents token join one incident; as of before, it had one alert."""
    hub = make_hub()
    original = message("o1", sent=T0)
    update = message("u1", msg_type="Update", sent=later(1), references=[original])
    other = message("x1", sent=later(2), incidents=["fire-42"])
    sibling = message("x2", sent=later(3), incidents=["fire-42"])
    hub.service.handle([cap(update)])
    hub.service.handle([cap(other)])
    hub.follower.catch_up()
    before_merge = datetime.now(UTC)
    first_page = hub.reads.incidents(None)
    assert len(first_page.items) == 2
    hub.service.handle([cap(sibling)])
    hub.service.handle([cap(original)])
    hub.follower.catch_up()
    incidents = hub.reads.incidents(None, limit=1)
    assert incidents.next is not None
    rest = hub.reads.incidents(None, limit=1, cursor=incidents.next)
    assert rest.next is None
    by_size = sorted([*incidents.items, *rest.items], key=lambda d: len(d["alerts"]))
    # The original joined the alert its update opened (one alert); x2 joined x1 by the token.
    assert [len(d["alerts"]) for d in by_size] == [1, 2]
    assert by_size[1]["incidents"] == ["fire-42"]
    as_then = hub.reads.incidents(None, as_of=before_merge).items
    assert sorted(len(d["alerts"]) for d in as_then) == [1, 1]
    unknown = hub.reads.incident(uuid4())
    assert unknown is None
    for document in by_size:
        found = hub.reads.incident(incident_id_of(document))
        assert found is not None
        assert found["incident_id"] == document["incident_id"]


def incident_id_of(document: dict[str, object]) -> UUID:
    return UUID(str(document["incident_id"]))


def test_an_incident_merged_away_answers_with_the_one_it_joined(make_hub: HubFactory) -> None:
    hub = make_hub()
    a = message("a1", sent=T0)
    b = message("b1", sent=later(1), incidents=["storm"])
    c = message("c1", sent=later(2), incidents=["storm"], references=[a])
    hub.service.handle([cap(a)])
    hub.service.handle([cap(b)])
    hub.follower.catch_up()
    absorbed = incident_id(alert_id(b.key))
    hub.service.handle([cap(c)])
    hub.follower.catch_up()
    (only,) = hub.reads.incidents(None).items  # c went to a's alert and brought b's token
    assert len(only["alerts"]) == 2
    followed = hub.reads.incident(absorbed)
    assert followed is not None
    assert followed["incident_id"] == only["incident_id"]
    assert only["incident_id"] == str(incident_id(alert_id(a.key)))


def test_a_cursor_the_hub_did_not_hand_out_is_refused() -> None:
    assert decode(encode(["2025-01-01T00:00:00.000000Z", "x"]), 2) == [
        "2025-01-01T00:00:00.000000Z",
        "x",
    ]
    for bad in ("%%%", encode(["only one"]), encode([True, "x"]), "a" * 600, encode({"a": 1})):
        with pytest.raises(InvalidQueryError):
            decode(bad, 2)


@given(st.text(max_size=80))
def test_decoding_any_text_is_a_key_or_a_clear_error(text: str) -> None:
    try:
        key = decode(text, 2)
    except InvalidQueryError:
        return
    assert key is not None
    assert len(key) == 2


def test_the_public_reads_public_alerts_and_a_partner_also_its_channels(
    make_hub: HubFactory,
) -> None:
    """Who may read what is SQL, so a page is cut after it: the public never sees an Exercise."""
    hub = make_hub()
    hub.service.handle([cap(message("public", sent=T0, incidents=["drill-7"]))])
    hub.service.handle(
        [cap(message("drill", sent=later(1), status="Exercise", incidents=["drill-7"]))]
    )
    hub.follower.catch_up()

    def listed(readable: frozenset[str] | None) -> list[str]:
        page = hub.reads.alerts(AlertQuery(lifecycle=None, readable=readable))
        return [s.current.identifier for s in page.items]

    def in_incidents(readable: frozenset[str] | None) -> list[str]:
        (incident,) = hub.reads.incidents(None, readable=readable).items
        return sorted(alert["status"] for alert in incident["alerts"])

    assert listed(frozenset()) == ["public"]  # the public
    assert listed(frozenset({"nlalert"})) == ["public"]  # a partner of another channel
    assert listed(frozenset({"cap"})) == ["drill", "public"]  # a partner of the channel
    assert listed(None) == ["drill", "public"]  # the hub itself
    assert hub.reads.alerts(AlertQuery(lifecycle=None, readable=frozenset()), as_of=FAR).items
    assert in_incidents(frozenset()) == ["Actual"]
    assert in_incidents(frozenset({"cap"})) == ["Actual", "Exercise"]
