"""Relay: events/s from the store onto Kafka, beside a bare producer sending the same bytes.

The store is pre-filled with the relay off; then `hub.relay.step()` is timed until the lag is 0,
including the first page that opens the producer, as the bare producer's timing includes its
construction (one-off ~0.1 s, under 1 % at 100k events). The bare
producer is the relay's own producer factory (acks=all, idempotent, linger 5 ms, 256 KiB
batches) sending the very records the relay published (read back from the topic: same keys,
values, headers and timestamps), so the ratio is the relay's own overhead: reading the log,
decoding events, Avro encoding, one flush per page and the position write.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition

from bench.core import Context, Result, note, timed
from bench.ladder import hub_folder, ladder
from hub.bootstrap import bootstrap
from hub.settings import load_settings
from hub.streaming.relay import kafka_producer
from hub.streaming.topics import ensure_topics

Record = tuple[bytes, bytes, list[tuple[str, bytes]], int]
BARE_FLUSH = 50_000


@dataclass(frozen=True)
class RelayRun:
    topic: str
    events: int
    relay_rate: float
    bare_rate: float
    bare_paged_rate: float
    partitions: int


def read_back(bootstrap_servers: str, topic: str, count: int) -> list[Record]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None)
    partitions = [
        TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
    ]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    records: list[Record] = []
    while len(records) < count:
        for batch in consumer.poll(timeout_ms=500, max_records=5000).values():
            records.extend((r.key, r.value, list(r.headers), r.timestamp) for r in batch)
    consumer.close()
    return records


def bare_send(bootstrap_servers: str, topic: str, records: list[Record], page: int) -> float:
    """Records/s of the relay's producer config sending `records`, flushing every `page`."""
    began = time.perf_counter()
    producer = kafka_producer(bootstrap_servers)()
    try:
        for start in range(0, len(records), page):
            futures = [
                producer.send(topic, key=k, value=v, headers=h, timestamp_ms=ts)
                for k, v, h, ts in records[start : start + page]
            ]
            producer.flush(timeout=60)
            for future in futures:
                future.get(timeout=60)
        seconds = time.perf_counter() - began
    finally:
        producer.close(timeout=5)
    return len(records) / seconds


def measure(ctx: Context, size: int) -> RelayRun:
    snapshot = ladder(ctx).at(size)
    bootstrap_servers = ctx.kafka
    topic = f"bench.relay.{size}.{uuid.uuid4().hex[:6]}"
    settings = load_settings(
        data_dir=hub_folder(ctx, snapshot, f"relay-{size}"),
        kafka_bootstrap=bootstrap_servers,
        kafka_topic=topic,
        kafka_group=f"bench-{topic}",
        run_relay=False,
        run_projector=False,
        kafka_ingress=False,
        log_level="WARNING",
    )
    hub = bootstrap(settings, configure_logs=True)
    relay = hub.relay
    assert relay is not None
    note(f"relay draining {size:,} events to Kafka")
    try:
        sent = 0
        with timed() as wall:
            while step := relay.step():
                sent += step
        assert relay.lag() == 0, f"relay lag {relay.lag()} after draining"
    finally:
        hub.close()
    relay_rate = sent / wall[0]
    records = read_back(bootstrap_servers, topic, sent)
    note(f"bare producer sending the same {len(records):,} records")
    bare_topic = f"{topic}.bare"
    bare_topics = [bare_topic, f"{bare_topic}.paged"]
    ensure_topics(bootstrap_servers, bare_topics, settings.durability, canonical=bare_topic)
    # Flushing only at the very end of 1M records let batches expire (delivery_timeout 30 s)
    # behind a slow broker; every 50,000 records keeps the bare run robust and near its best.
    bare_rate = bare_send(bootstrap_servers, bare_topic, records, BARE_FLUSH)
    paged_rate = float("nan")  # a diagnosis of the relay figure, only at the size it is reported
    if size == ctx.sizes.mid:
        paged_rate = bare_send(bootstrap_servers, f"{bare_topic}.paged", records, relay.page_size)
    return RelayRun(topic, sent, relay_rate, bare_rate, paged_rate, settings.kafka_partitions)


def relay_run(ctx: Context, size: int) -> RelayRun:
    found: RelayRun = ctx.once(("relay", size), lambda: measure(ctx, size))
    return found


def run(ctx: Context) -> list[Result]:
    size = ctx.sizes.mid
    done = relay_run(ctx, size)
    conditions = {
        "events": done.events,
        "partitions": done.partitions,
        "producer": "relay.kafka_producer: acks=all, idempotent, linger 5 ms, 256 KiB batches",
        "relay_page": 1000,
        "kafka": "Apache Kafka 4.1.1, 1 broker, loopback",
        "timed": "from the first page (producer start) to lag 0",
    }
    return [
        Result("relay: store -> Kafka", done.relay_rate, "events/s", "higher", None, conditions),
        Result(
            "relay: bare producer, same records",
            done.bare_rate,
            "records/s",
            "higher",
            None,
            conditions | {"flush": f"every {BARE_FLUSH:,} records"},
        ),
        Result(
            "relay: bare producer, flush every 1000",
            done.bare_paged_rate,
            "records/s",
            "higher",
            None,
            conditions | {"flush": "every 1000 records, like the relay"},
        ),
        Result(
            "relay: ratio to bare producer",
            done.relay_rate / done.bare_rate,
            "x",
            "higher",
            0.7,
            conditions,
        ),
    ]
