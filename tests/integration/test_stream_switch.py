"""Positions belong to a stream: moving a data folder from the embedded log to Kafka loses nothing.

The newcomer's sequence: run embedded, accept alerts, then configure Kafka on the same folder and
post more. The views' positions were counted in the store's log, not in the topic, so the hub
rebuilds them from the topic (which the relay fills from the store) instead of reading them as
offsets and skipping events.
"""

from __future__ import annotations

import pytest

from devtools.kafka_broker import KafkaBroker
from projections.alerts import AlertQuery
from tests.conftest import HubFactory
from tests.factories import cap, later, message
from tests.integration.kafka_helpers import eventually, kafka_settings

pytestmark = pytest.mark.kafka
EVERYTHING = AlertQuery(lifecycle=None, limit=1000)


def test_embedded_then_kafka_on_one_data_folder_loses_nothing(
    make_hub: HubFactory, kafka: KafkaBroker
) -> None:
    embedded = make_hub()
    for number in range(4):
        embedded.service.handle([cap(message(f"before{number}", sent=later(number)))])
    embedded.follower.catch_up()
    assert len(embedded.reads.alerts(EVERYTHING).items) == 4
    assert embedded.views.stream_of("alerts") == embedded.stream.identity
    embedded.close()

    hub = make_hub(**kafka_settings(kafka))
    assert hub.stream.identity.startswith("kafka:")
    assert hub.views.stream_of("alerts") == hub.stream.identity  # rebound, hence rebuilt
    hub.start()
    for number in range(4):
        result = hub.service.handle([cap(message(f"after{number}", sent=later(10 + number)))])
        assert hub.wait_for_views(result.position, timeout=30)
    eventually(lambda: len(hub.reads.alerts(EVERYTHING).items) == 8, timeout=30)
    eventually(lambda: set(hub.follower.lag().values()) == {0}, timeout=30)
    assert hub.follower.ahead() == {}
    identifiers = {s.current.identifier for s in hub.reads.alerts(EVERYTHING).items}
    assert identifiers == {f"{when}{n}" for when in ("before", "after") for n in range(4)}
    incidents = hub.reads.incidents(None, limit=1000).items
    assert sum(len(i["alerts"]) for i in incidents) == 8


def test_a_checkpoint_past_the_head_makes_the_hub_not_ready(
    make_hub: HubFactory, kafka: KafkaBroker
) -> None:
    """A topic recreated under the views: their offsets point past its end; never 'ready'."""
    hub = make_hub(**kafka_settings(kafka))
    hub.start()
    result = hub.service.handle([cap(message("only"))])
    assert hub.wait_for_views(result.position, timeout=30)
    assert hub.follower.ahead() == {}
    with hub.views.transaction() as conn:  # what a truncated or recreated topic leaves behind
        conn.execute("UPDATE positions SET position = position + 1000 WHERE name = 'alerts'")
    assert list(hub.follower.ahead()) == ["alerts"]


def test_the_relay_position_lives_with_the_event_store(
    make_hub: HubFactory, kafka: KafkaBroker
) -> None:
    hub = make_hub(**kafka_settings(kafka))
    hub.start()
    hub.service.handle([cap(message("relayed"))])
    eventually(lambda: hub.relay is not None and hub.relay.lag() == 0, timeout=30)
    assert hub.relay is not None
    assert hub.relay.positions.path == hub.settings.events_db
    assert hub.views.checkpoint("relay") == {}
    assert hub.relay.positions.stream_of("relay") == hub.stream.identity
