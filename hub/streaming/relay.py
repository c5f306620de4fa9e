"""The relay: every recorded alert event onto the canonical Kafka topic, at least once.

Its position is kept in the event store's own database (it counts that store's notifications) and
bound to the cluster and topic it publishes to. It reads the store's notification log (the
embedded stream) past that position, publishes a
page with an idempotent producer (acks=all, key = alert id, so one alert stays in one partition
and in order), waits for every delivery, and only then records the new position. A crash between
delivery and that record re-sends a page: consumers skip what they have applied. A broker outage
never fails a partner's POST; the relay backs off and catches up when the broker is back.

With its position it records the highest Kafka offset it delivered per partition, so any process
of the hub (not only the one that relayed) knows which offsets a reader must reach to see a
store position. Where several processes share one store, a lease lets one relay publish at a time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from kafka import KafkaProducer

from hub.streaming.avro import MISFITS, AvroCodec
from hub.streaming.client_options import CLIENT_OPTIONS
from hub.streaming.embedded import PARTITION, EmbeddedStream
from hub.worker import Lease, Worker, always
from projections.database import ViewDatabase
from projections.stream import lag, reached

ProducerFactory = Callable[[], KafkaProducer]
OFFSETS = "relay-offsets"  # positions rows: Kafka partition -> highest offset delivered


def kafka_producer(bootstrap: str) -> ProducerFactory:
    def build() -> KafkaProducer:
        return KafkaProducer(
            bootstrap_servers=bootstrap,
            client_id="alerthub-relay",
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            batch_size=256 * 1024,
            max_block_ms=5000,
            request_timeout_ms=10_000,
            delivery_timeout_ms=30_000,
            **CLIENT_OPTIONS,
        )

    return build


class Relay(Worker):
    name = "relay"

    def __init__(
        self,
        source: EmbeddedStream,
        positions: ViewDatabase,
        codec: AvroCodec,
        producer: ProducerFactory,
        topic: str,
        *,
        destination: str,
        page_size: int = 1000,
        lease: Lease = always,
    ) -> None:
        super().__init__()
        self.lease = lease
        self.source, self.positions, self.codec = source, positions, codec
        self.topic, self.page_size = topic, page_size
        self.destination = destination  # the stream it publishes to: cluster id and topic
        self.claim()
        self._make_producer = producer
        self._producer: KafkaProducer | None = None
        self._published = threading.Condition()

    def claim(self) -> None:
        """Bind the relay's position to the topic it publishes to.

        The position lives with the event store (it counts notifications of that store). It is
        bound to the cluster and topic it was published to: pointed at another topic, the relay
        publishes the whole log again, from the start.
        """
        with self.positions.transaction() as conn:
            bound = self.positions.stream_of(self.name, conn)
            if bound is not None and bound != self.destination:
                self.positions.forget(conn, self.name)
            self.positions.bind(conn, self.name, self.destination)

    def checkpoint(self) -> dict[int, int]:
        return self.positions.checkpoint(self.name)

    def lag(self) -> int:
        return lag(self.source.head(), self.checkpoint())

    def step(self) -> int:
        if not self.lease():
            return 0
        page = self.source.read_stored(self.checkpoint(), self.page_size)
        if not page:
            return 0
        producer = self._producer = self._producer or self._make_producer()
        # The whole page encoded first, then sent: the producer's I/O thread needs the GIL for
        # every batch, and behind a long encoding loop it waits a switch interval (5 ms) each
        # time; sent in one tight loop, its batches go out as fast as a bare producer's.
        records = [self._record(stored) for stored in page]
        futures = [producer.send(self.topic, **record) for record in records]
        producer.flush(timeout=30)
        delivered = [future.get(timeout=30) for future in futures]
        offsets: dict[int, int] = {}
        for meta in delivered:
            offsets[meta.partition] = max(offsets.get(meta.partition, -1), meta.offset)
        with self.positions.transaction() as conn:
            self.positions.advance(conn, self.name, PARTITION, page[-1].id)
            for partition, offset in offsets.items():
                self.positions.raise_to(conn, OFFSETS, partition, offset)
        with self._published:
            self._published.notify_all()
        return len(page)

    def _record(self, stored: Notification) -> dict[str, Any]:
        """`producer.send`'s arguments for one stored event, encoded from its JSON if it can be."""
        found = self.source.store.sealed_state(stored)
        encoded = None
        if found is not None and isinstance(stored.originator_id, UUID):
            cls, state = found
            timestamp = state["timestamp"]
            try:
                encoded = self.codec.encode_state(
                    cls, stored.originator_id, stored.originator_version, state
                )
            except MISFITS:
                encoded = None  # the event's own way says which field does not fit
        if encoded is None:
            event = self.source.event_of(stored)
            timestamp = event.timestamp
            encoded = self.codec.encode(event)
        value, headers = encoded
        return {
            "key": str(stored.originator_id).encode(),
            "value": value,
            "headers": [*headers, ("notification_id", str(stored.id).encode())],
            "timestamp_ms": int(timestamp.astimezone(UTC).timestamp() * 1000),
        }

    def wait_published(self, position: int, timeout: float) -> dict[int, int] | None:
        """Once the store position is on Kafka, the offsets a reader must reach to see it.

        Woken at once by this process's relay, and polling the recorded position meanwhile, so
        it also works when another process relays.
        """
        deadline = time.monotonic() + timeout
        with self._published:
            while not reached(self.checkpoint(), {PARTITION: position}):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._published.wait(min(remaining, 0.02))
        return self.positions.checkpoint(OFFSETS)

    def on_error(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=1)
            self._producer = None
