"""Partners publishing on ingress topics; refused messages go to the dead-letter topic."""

from __future__ import annotations

import pytest
from kafka import KafkaProducer

from devtools.kafka_broker import KafkaBroker
from hub.streaming.topics import DEADLETTER, ingress_topic
from tests.conftest import EXAMPLES, HubFactory
from tests.integration.kafka_helpers import eventually, kafka_settings, read_topic

pytestmark = pytest.mark.kafka
CAP = sorted((EXAMPLES / "cap").glob("*.xml"))
CT = [("content-type", b"application/cap+xml")]


def publish(bootstrap: str, topic: str, bodies: list[bytes]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for body in bodies:
        producer.send(topic, value=body, headers=CT)
    producer.flush()
    producer.close()


def test_ingress_messages_become_alerts_and_bad_ones_are_dead_lettered(
    make_hub: HubFactory, kafka: KafkaBroker
) -> None:
    hub = make_hub(**kafka_settings(kafka, kafka_ingress=True))
    hub.start()
    before = len(read_topic(kafka.bootstrap, DEADLETTER))
    bad = b"<alert>not CAP</alert>"
    bodies = [CAP[0].read_bytes(), bad, CAP[1].read_bytes()]
    publish(kafka.bootstrap, ingress_topic("cap"), bodies)

    def both_stored() -> bool:
        dead_letters = len(read_topic(kafka.bootstrap, DEADLETTER))
        return hub.store.max_position() > 0 and dead_letters > before

    eventually(both_stored)
    eventually(lambda: hub.ingress is not None and hub.ingress.healthy)
    hub.follower.catch_up()
    dead = read_topic(kafka.bootstrap, DEADLETTER)[before:]
    assert dead
    assert all(d.value == bad for d in dead)
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert headers["channel"] == "cap"
    assert headers["error"] == "InvalidMessageError"
    assert headers["original_topic"] == ingress_topic("cap")
    assert "namespace" in headers["detail"]
    # the bad message did not block the good one behind it
    eventually(lambda: not any(hub.follower.lag().values()) and hub.store.max_position() >= 4)
