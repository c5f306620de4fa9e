"""Topic durability on the real broker: what the hub creates, and what it reports."""

from __future__ import annotations

from typing import Any

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource

from devtools.kafka_broker import KafkaBroker
from hub.streaming.topics import Durability, ensure_topics
from tests.integration.kafka_helpers import unique

pytestmark = pytest.mark.kafka


def _describe(bootstrap: str, topic: str) -> tuple[int, dict[str, str]]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        (described,) = admin.describe_topics([topic])
        keys = ["retention.ms", "min.insync.replicas"]
        found: dict[str, Any] = admin.describe_configs(
            [ConfigResource("TOPIC", topic, keys)], config_filter="all"
        )["topic"][topic]
    finally:
        admin.close()
    replicas = {len(p["replica_nodes"]) for p in described["partitions"]}
    assert len(replicas) == 1
    return replicas.pop(), {key: found[key]["value"] for key in keys}


def test_canonical_topic_keeps_every_event_and_others_keep_the_broker_default(
    kafka: KafkaBroker,
) -> None:
    canonical, other = unique("alerthub.alerts.durable"), unique("alerthub.ingress.durable")
    differ = ensure_topics(kafka.bootstrap, [canonical, other], Durability(), canonical=canonical)
    assert differ == []
    # One broker: the replication factor comes from the cluster (1), min.insync.replicas 1.
    assert _describe(kafka.bootstrap, canonical) == (
        1,
        {"retention.ms": "-1", "min.insync.replicas": "1"},
    )
    replicas, configs = _describe(kafka.bootstrap, other)
    assert (replicas, configs["min.insync.replicas"]) == (1, "1")
    assert configs["retention.ms"] == "604800000"  # the broker's default week, ingress only


def test_configured_retention_is_applied_and_an_existing_topic_that_differs_is_reported(
    kafka: KafkaBroker,
) -> None:
    topic = unique("alerthub.alerts.durable")
    week = Durability(canonical_retention_ms=604_800_000)
    assert ensure_topics(kafka.bootstrap, [topic], week, canonical=topic) == []
    assert _describe(kafka.bootstrap, topic)[1]["retention.ms"] == "604800000"
    # The topic exists now; asking for infinite retention and 3 replicas reports, never alters.
    wanted = Durability(replication_factor=3, min_insync_replicas=2)
    differ = ensure_topics(kafka.bootstrap, [topic], wanted, canonical=topic)
    assert differ == [
        f"{topic}: replication factor 1, wanted 3",
        f"{topic}: min.insync.replicas=1, wanted 2",
        f"{topic}: retention.ms=604800000, wanted -1",
    ]
    assert _describe(kafka.bootstrap, topic)[1]["retention.ms"] == "604800000"
