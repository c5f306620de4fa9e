"""Helpers for tests on the real broker: isolated topic names, hubs wired to Kafka, topic reads."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from devtools.kafka_broker import KafkaBroker


def unique(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}"


def kafka_settings(broker: KafkaBroker, **overrides: Any) -> dict[str, Any]:
    """Settings for a hub on this broker, with its own canonical topic and consumer groups.

    Ingress is off unless a test asks for it: the ingress topics are shared by every test of
    the run, and a fresh consumer group would ingest what earlier tests published there.
    """
    return {
        "kafka_bootstrap": broker.bootstrap,
        "kafka_topic": unique("alerthub.alerts.test"),
        "kafka_group": unique("alerthub-test"),
        "kafka_ingress": False,
        "projection_poll_interval": 0.05,
        **overrides,
    }


def read_topic(bootstrap: str, topic: str, timeout: float = 5.0) -> list[ConsumerRecord]:
    """Everything on a topic now (from the beginning to the current end)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(
            consumer.position(tp) < end for tp, end in ends.items()
        ):
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def eventually(check: Callable[[], bool], timeout: float = 30.0, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s: {check}")
