"""The canonical Kafka topic as an `EventStream`: a position (offset) per partition.

A consumer in assign mode (no group: the checkpoint lives with the view, in the same transaction
as its rows, so the broker's committed offsets are never trusted for exactly-once). Seeking to a
time uses the record timestamp, which the relay sets to the event's own recorded time.
KafkaConsumer is not thread-safe, and /readyz asks for the head while the projector reads, so
every use of the consumer holds a lock; `head()` prefers the high watermark the fetches already
brought (no network call), so readiness answers at once even while the broker is down.

With a `group_id` several projector processes share the partitions as one consumer group: each
reads the partitions the group assigns it, seeking to the checkpoints kept with the views (the
first fetch after a rebalance may start earlier; the projection skips what it has applied). The
group is joined on the first `read`, so a process that only asks for `head()` never joins it.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime

import structlog
from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from hub.codec import EventCodec
from projections.stream import Checkpoint, StreamRecord

log = structlog.get_logger(__name__)


class _LogAssignments(ConsumerRebalanceListener):  # type: ignore[misc]  # kafka-python is untyped
    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        log.info("projector.revoked", partitions=sorted(tp.partition for tp in revoked))

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("projector.assigned", partitions=sorted(tp.partition for tp in assigned))


class KafkaStream:
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        codec: EventCodec,
        *,
        group_id: str | None = None,
        poll_timeout_ms: int = 500,
    ) -> None:
        self.topic, self.codec, self.poll_timeout_ms = topic, codec, poll_timeout_ms
        self.group_id = group_id
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            client_id="alerthub-stream",
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=100,
            session_timeout_ms=10_000,
            heartbeat_interval_ms=3_000,
        )
        self._partitions: list[TopicPartition] = []
        self._joined = False
        self._lock = threading.RLock()

    def _all(self) -> list[TopicPartition]:
        if not self._partitions:
            found = self._consumer.partitions_for_topic(self.topic) or set()
            self._partitions = [TopicPartition(self.topic, p) for p in sorted(found)]
        return self._partitions

    def _reading(self) -> list[TopicPartition]:
        """The partitions this reader owns: all of them, or the group's share."""
        if not self._joined:
            if self.group_id is None:
                self._consumer.assign(self._all())
            else:
                self._consumer.subscribe([self.topic], listener=_LogAssignments())
            self._joined = True
        return sorted(self._consumer.assignment(), key=lambda tp: tp.partition)

    def read(self, after: Checkpoint, limit: int = 500) -> list[StreamRecord]:
        with self._lock:
            for tp in self._reading():
                wanted = after.get(tp.partition, -1) + 1
                if self._consumer.position(tp) != wanted:
                    self._consumer.seek(tp, wanted)
            batches = self._consumer.poll(timeout_ms=self.poll_timeout_ms, max_records=limit)
        return [
            StreamRecord(tp.partition, r.offset, self.codec.decode(r.value))
            for tp, rs in sorted(batches.items(), key=lambda item: item[0].partition)
            for r in rs
        ]

    def head(self) -> dict[int, int]:
        with self._lock:
            owned = self._consumer.assignment() if self._joined else set()
            known = {
                tp: self._consumer.highwater(tp) if tp in owned else None for tp in self._all()
            }
            unknown = [tp for tp, mark in known.items() if mark is None]
            if unknown:
                with contextlib.suppress(KafkaError):  # the broker is away: report what we know
                    known |= self._consumer.end_offsets(unknown, timeout_ms=2000)
        return {tp.partition: mark - 1 for tp, mark in known.items() if mark is not None}

    def checkpoint_before(self, moment: datetime) -> dict[int, int]:
        millis = int(moment.astimezone(UTC).timestamp() * 1000)
        with self._lock:
            partitions = self._all()
            found = self._consumer.offsets_for_times(dict.fromkeys(partitions, millis))
            ends = self._consumer.end_offsets(partitions)
        return {
            tp.partition: (hit.offset - 1 if hit is not None else ends[tp] - 1)
            for tp, hit in found.items()
        }

    def close(self) -> None:
        with self._lock:
            self._consumer.close()
