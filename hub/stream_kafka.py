"""The canonical Kafka topic as an `EventStream`: a position (offset) per partition.

A consumer in assign mode (no group: the checkpoint lives with the view, in the same transaction
as its rows, so the broker's committed offsets are never trusted for exactly-once). Seeking to a
time uses the record timestamp, which the relay sets to the event's own recorded time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from kafka import KafkaConsumer, TopicPartition

from hub.codec import EventCodec
from projections.stream import Checkpoint, StreamRecord


class KafkaStream:
    def __init__(
        self, bootstrap: str, topic: str, codec: EventCodec, *, poll_timeout_ms: int = 500
    ) -> None:
        self.topic, self.codec, self.poll_timeout_ms = topic, codec, poll_timeout_ms
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            client_id="alerthub-stream",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=100,
        )
        self._partitions: list[TopicPartition] = []

    def _assigned(self) -> list[TopicPartition]:
        if not self._partitions:
            found = self._consumer.partitions_for_topic(self.topic) or set()
            self._partitions = [TopicPartition(self.topic, p) for p in sorted(found)]
            self._consumer.assign(self._partitions)
        return self._partitions

    def read(self, after: Checkpoint, limit: int = 500) -> list[StreamRecord]:
        for tp in self._assigned():
            wanted = after.get(tp.partition, -1) + 1
            if self._consumer.position(tp) != wanted:
                self._consumer.seek(tp, wanted)
        batches = self._consumer.poll(timeout_ms=self.poll_timeout_ms, max_records=limit)
        records = [
            StreamRecord(tp.partition, r.offset, self.codec.decode(r.value))
            for tp, rs in sorted(batches.items(), key=lambda item: item[0].partition)
            for r in rs
        ]
        return records

    def head(self) -> dict[int, int]:
        ends = self._consumer.end_offsets(self._assigned())
        return {tp.partition: offset - 1 for tp, offset in ends.items()}

    def checkpoint_before(self, moment: datetime) -> dict[int, int]:
        millis = int(moment.astimezone(UTC).timestamp() * 1000)
        found = self._consumer.offsets_for_times(dict.fromkeys(self._assigned(), millis))
        head = self.head()
        return {
            tp.partition: (hit.offset - 1 if hit is not None else head[tp.partition])
            for tp, hit in found.items()
        }

    def close(self) -> None:
        self._consumer.close()
