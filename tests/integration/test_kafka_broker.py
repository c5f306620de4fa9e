"""A real Kafka 4.1.1 broker (devtools.kafka_broker) driven by kafka-python 3.x.

Proves the dev broker is good enough for the relay/consumer tests: admin topic creation,
idempotent keyed produce with headers, consumer-group commit, offsets_for_times, and that
data plus committed offsets survive ``restart()`` (graceful and SIGKILL) on the same bootstrap.

Skipped only off CI when java/mvn are missing; with CI=true a broker that cannot start fails.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

from devtools.kafka_broker import READY_LINE, KafkaBroker

pytestmark = pytest.mark.kafka

GROUP_TIMEOUTS: dict[str, Any] = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 2000}
BASE_TS = 1_700_000_000_000  # explicit CreateTime for offsets_for_times checks


@pytest.fixture(scope="module")
def broker(kafka_broker: KafkaBroker) -> KafkaBroker:
    """The session's broker (tests/conftest.py); these tests restart it and leave it running."""
    if not kafka_broker.is_running:
        kafka_broker.start()
    return kafka_broker


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _create_topic(bootstrap: str, topic: str, partitions: int = 3) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics(
            {topic: {"num_partitions": partitions, "replication_factor": 1}},
            wait_for_metadata=True,
        )
    finally:
        admin.close()


def _producer(bootstrap: str) -> Any:
    return KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )


def _produce(bootstrap: str, topic: str, values: range, ts_base: int | None = None) -> list[Any]:
    """Send keyed messages with headers; returns the RecordMetadata of each, in send order."""
    producer = _producer(bootstrap)
    try:
        futures = [
            producer.send(
                topic,
                key=f"key-{i % 5}".encode(),
                value=f"value-{i}".encode(),
                headers=[("seq", str(i).encode()), ("source", b"test")],
                timestamp_ms=None if ts_base is None else ts_base + i * 1000,
            )
            for i in values
        ]
        producer.flush()
        return [f.get(timeout=30) for f in futures]
    finally:
        producer.close()


def _drain(consumer: Any, count: int, timeout: float = 30.0) -> list[Any]:
    """Poll until ``count`` records arrived (or time out), then poll briefly for extras."""
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(records) < count and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend(batch)
    for batch in consumer.poll(timeout_ms=500).values():
        records.extend(batch)
    return records


def _group_consumer(bootstrap: str, topic: str, group: str) -> Any:
    return KafkaConsumer(
        topic,
        group_id=group,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **GROUP_TIMEOUTS,
    )


def _consume_and_commit(bootstrap: str, topic: str, group: str, count: int) -> list[Any]:
    """Read ``count`` records as a group member and commit (with metadata) past each partition."""
    consumer = _group_consumer(bootstrap, topic, group)
    try:
        records = _drain(consumer, count)
        last: dict[int, int] = {}
        for rec in records:
            last[rec.partition] = max(last.get(rec.partition, -1), rec.offset)
        consumer.commit(
            {
                TopicPartition(topic, p): OffsetAndMetadata(o + 1, "test", -1)
                for p, o in last.items()
            }
        )
        return records
    finally:
        consumer.close()


def _read_all(bootstrap: str, topic: str, partitions: int = 3) -> list[Any]:
    """Everything in the topic, read without a group (assign + seek to beginning)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        return _drain(consumer, sum(consumer.end_offsets(tps).values()))
    finally:
        consumer.close()


def _committed(bootstrap: str, group: str) -> dict[Any, int]:
    """Committed offsets via the admin API, retrying retriable errors.

    Right after a (re)start the group coordinator loads __consumer_offsets asynchronously, and
    the admin client (unlike the consumer) surfaces CoordinatorLoadInProgressError as is.
    """
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                offsets = admin.list_group_offsets({group: None})[group]
                return {tp: meta.offset for tp, meta in offsets.items()}
            except KafkaError as exc:
                if not exc.retriable or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        admin.close()


def test_broker_is_ready_and_logs_through_log4j2(broker: KafkaBroker) -> None:
    host, port = broker.bootstrap.split(":")
    assert host == "127.0.0.1"
    assert int(port) > 0
    log = broker.log_path.read_text()
    assert READY_LINE in log
    assert "StaticLoggerBinder" not in log  # the SLF4J binding is on the classpath
    assert (broker.work_dir / "data" / "meta.properties").is_file()


def test_admin_creates_topic_with_three_partitions(broker: KafkaBroker) -> None:
    topic = _name("admin")
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        admin.create_topics(
            {
                topic: {
                    "num_partitions": 3,
                    "replication_factor": 1,
                    "configs": {"retention.ms": "3600000"},
                }
            },
            wait_for_metadata=True,
        )
        (described,) = admin.describe_topics([topic])
        assert sorted(p["partition_index"] for p in described["partitions"]) == [0, 1, 2]
        assert {p["leader_id"] for p in described["partitions"]} == {1}
        # describe_configs defaults to config_filter="modified": only non-default keys come back.
        configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        assert configs["topic"][topic]["retention.ms"]["value"] == "3600000"
        with pytest.raises(TopicAlreadyExistsError):
            admin.create_topics({topic: {"num_partitions": 3, "replication_factor": 1}})
    finally:
        admin.close()


def test_idempotent_produce_and_group_consume_commit(broker: KafkaBroker) -> None:
    topic, group = _name("orders"), _name("group")
    _create_topic(broker.bootstrap, topic)
    sent = _produce(broker.bootstrap, topic, range(30))
    partition_of_key: dict[bytes, set[int]] = {}
    for i, meta in enumerate(sent):
        partition_of_key.setdefault(f"key-{i % 5}".encode(), set()).add(meta.partition)
    assert all(
        len(parts) == 1 for parts in partition_of_key.values()
    )  # a key sticks to a partition

    records = _consume_and_commit(broker.bootstrap, topic, group, 30)

    assert sorted(r.value for r in records) == sorted(f"value-{i}".encode() for i in range(30))
    first = next(r for r in records if r.value == b"value-7")
    assert first.key == b"key-2"
    assert first.headers == [("seq", b"7"), ("source", b"test")]
    expected = {TopicPartition(topic, p): 0 for p in range(3)}
    for meta in sent:
        expected[TopicPartition(topic, meta.partition)] += 1
    assert _committed(broker.bootstrap, group) == {tp: n for tp, n in expected.items() if n}


def test_describe_and_list_groups(broker: KafkaBroker) -> None:
    topic, group = _name("groups"), _name("group")
    _create_topic(broker.bootstrap, topic)
    _produce(broker.bootstrap, topic, range(3))
    consumer = _group_consumer(broker.bootstrap, topic, group)
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        assert len(_drain(consumer, 3)) == 3
        described = admin.describe_groups([group])[group]
        assert described["group_state"] == "Stable"
        assert described["protocol_type"] == "consumer"
        assert len(described["members"]) == 1
        assert group in {g["group_id"] for g in admin.list_groups()}
    finally:
        consumer.close()
        admin.close()


def test_offsets_for_times_returns_first_offset_at_or_after(broker: KafkaBroker) -> None:
    topic = _name("times")
    _create_topic(broker.bootstrap, topic, partitions=1)
    _produce(broker.bootstrap, topic, range(10), ts_base=BASE_TS)  # CreateTime BASE_TS + i s
    tp = TopicPartition(topic, 0)
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap)
    try:
        between = consumer.offsets_for_times({tp: BASE_TS + 4_500})[tp]
        assert (between.offset, between.timestamp) == (5, BASE_TS + 5_000)
        exact = consumer.offsets_for_times({tp: BASE_TS + 3_000})[tp]
        assert exact.offset == 3
        assert consumer.offsets_for_times({tp: 0})[tp].offset == 0
        assert consumer.offsets_for_times({tp: BASE_TS + 60_000})[tp] is None  # future
    finally:
        consumer.close()


@pytest.mark.parametrize("hard", [False, True], ids=["sigterm", "sigkill"])
def test_restart_keeps_data_and_committed_offsets(broker: KafkaBroker, hard: bool) -> None:
    topic, group = _name("restart"), _name("group")
    bootstrap = broker.bootstrap
    _create_topic(bootstrap, topic)
    _produce(bootstrap, topic, range(20))
    _consume_and_commit(bootstrap, topic, group, 20)
    committed = _committed(bootstrap, group)

    broker.restart(hard=hard)

    assert broker.bootstrap == bootstrap
    assert _committed(bootstrap, group) == committed
    assert len(_read_all(bootstrap, topic)) == 20
    _produce(bootstrap, topic, range(20, 25))
    resumed = _consume_and_commit(bootstrap, topic, group, 5)
    assert sorted(r.value for r in resumed) == sorted(f"value-{i}".encode() for i in range(20, 25))


def test_producer_buffers_while_broker_is_down(broker: KafkaBroker) -> None:
    topic = _name("outage")
    _create_topic(broker.bootstrap, topic, partitions=1)
    producer = _producer(broker.bootstrap)
    try:
        producer.send(topic, b"before").get(timeout=30)  # warm metadata so send() won't block
        broker.kill()
        pending = [producer.send(topic, f"during-{i}".encode()) for i in range(5)]
        broker.start()  # same ports, same data
        for future in pending:
            future.get(timeout=60)
    finally:
        producer.close()
    values = [r.value for r in _read_all(broker.bootstrap, topic, partitions=1)]
    assert values == [b"before", *(f"during-{i}".encode() for i in range(5))]  # no duplicates
