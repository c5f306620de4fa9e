"""One contract, two streams: the embedded notification log and the Kafka topic behave alike."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from devtools.kafka_broker import KafkaBroker
from hub.bootstrap import Hub
from hub.streaming.avro import AvroCodec
from hub.streaming.embedded import EmbeddedStream
from hub.streaming.kafka import KafkaStream
from projections.stream import EventStream, StreamRecord
from tests.conftest import HubFactory
from tests.factories import cap, later, message
from tests.integration.kafka_helpers import eventually, kafka_settings

Written = tuple[EventStream, datetime, int]  # stream, a moment between two batches, events


def write_two_batches(hub: Hub) -> tuple[datetime, int]:
    """Five alerts with an update each, then a pause, then five more: 20 events."""
    for batch in ("a", "b"):
        for i in range(5):
            first = message(f"{batch}{i}")
            hub.service.handle([cap(first)])
            hub.service.handle(
                [cap(message(f"{batch}{i}u", msg_type="Update", sent=later(1), references=[first]))]
            )
        if batch == "a":
            time.sleep(0.05)
            between = datetime.now(UTC)
            time.sleep(0.05)
    return between, 20


def read_all(stream: EventStream, limit: int = 3) -> list[StreamRecord]:
    checkpoint: dict[int, int] = {}
    records: list[StreamRecord] = []
    for _ in range(200):
        page = stream.read(checkpoint, limit)
        if not page and stream.head() == checkpoint:
            break
        assert len(page) <= limit
        for record in page:
            checkpoint[record.partition] = record.position
        records += page
    return records


class StreamContract:
    """Subclasses provide `written`: a stream holding two batches of events."""

    def test_reading_page_by_page_yields_every_event_once(self, written: Written) -> None:
        stream, _, count = written
        records = read_all(stream)
        keys = [(r.event.originator_id, r.event.originator_version) for r in records]
        assert len(keys) == count
        assert len(set(keys)) == count

    def test_order_per_alert_holds(self, written: Written) -> None:
        stream, _, _ = written
        versions: dict[object, list[int]] = defaultdict(list)
        for record in read_all(stream):
            versions[record.event.originator_id].append(record.event.originator_version)
        assert all(v == list(range(1, len(v) + 1)) for v in versions.values())

    def test_one_alert_stays_in_one_partition(self, written: Written) -> None:
        stream, _, _ = written
        partitions: dict[object, set[int]] = defaultdict(set)
        for record in read_all(stream):
            partitions[record.event.originator_id].add(record.partition)
        assert all(len(p) == 1 for p in partitions.values())

    def test_caught_up_reader_gets_nothing(self, written: Written) -> None:
        stream, _, _ = written
        read_all(stream)
        assert stream.read(stream.head(), 10) == []

    def test_seek_to_a_time_by_the_events_own_timestamp(self, written: Written) -> None:
        stream, between, count = written
        later_half = read_all_from(stream, stream.checkpoint_before(between))
        assert len(later_half) == count // 2
        assert all(r.event.timestamp >= between for r in later_half)


def read_all_from(stream: EventStream, checkpoint: dict[int, int]) -> list[StreamRecord]:
    records: list[StreamRecord] = []
    at = dict(checkpoint)
    while page := stream.read(at, 100):
        for record in page:
            at[record.partition] = record.position
        records += page
    return records


class TestEmbeddedStream(StreamContract):
    @pytest.fixture
    def written(self, make_hub: HubFactory) -> Written:
        hub = make_hub()
        between, count = write_two_batches(hub)
        return EmbeddedStream(hub.store), between, count


@pytest.mark.kafka
class TestKafkaStream(StreamContract):
    @pytest.fixture
    def written(self, make_hub: HubFactory, kafka: KafkaBroker) -> Iterator[Written]:
        settings = kafka_settings(kafka, kafka_partitions=3)
        hub = make_hub(**settings, run_projector=False)
        hub.start()
        between, count = write_two_batches(hub)
        eventually(lambda: hub.relay is not None and hub.relay.lag() == 0)
        stream = KafkaStream(kafka.bootstrap, settings["kafka_topic"], AvroCodec())
        yield stream, between, count
        stream.close()
