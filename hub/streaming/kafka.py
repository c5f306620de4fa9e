"""The canonical Kafka topic as an `EventStream`: a position (offset) per partition.

A consumer in assign mode (no group: the checkpoint lives with the view, in the same transaction
as its rows, so the broker's committed offsets are never trusted for exactly-once). Seeking to a
time uses the record timestamp, which the relay sets to the event's own recorded time.
KafkaConsumer is not thread-safe, and /readyz asks for the head while the projector reads: the
reading consumer is used under one lock, and `head()`/`checkpoint_before()` use a second,
group-less probe consumer with short timeouts, so readiness never waits behind a poll and
answers within seconds even while the broker is down.

With a `group_id` several projector processes share the partitions as one consumer group: each
reads the partitions the group assigns it, seeking to the checkpoints kept with the views (the
first fetch after a rebalance may start earlier; the projection skips what it has applied). The
group is joined on the first `read`, so a process that only asks for `head()` never joins it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import structlog
from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from hub.streaming.client_options import CLIENT_OPTIONS
from hub.streaming.codec import EventCodec
from hub.streaming.topics import cluster_id
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
        options: Mapping[str, Any] = CLIENT_OPTIONS,
    ) -> None:
        self.topic, self.codec, self.poll_timeout_ms = topic, codec, poll_timeout_ms
        self.bootstrap = bootstrap
        self._identity: str | None = None
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
            **options,
        )
        self._probe = KafkaConsumer(
            bootstrap_servers=bootstrap,
            client_id="alerthub-stream-probe",
            group_id=None,
            enable_auto_commit=False,
            request_timeout_ms=3_000,
            **options,
        )
        self._partitions: list[TopicPartition] = []
        self._joined = False
        self._last_head: dict[int, int] = {}
        self._lock = threading.RLock()
        self._probe_lock = threading.Lock()

    @property
    def identity(self) -> str:
        """`kafka:<cluster id>/<topic>`: offsets count in one topic of one cluster."""
        if self._identity is None:
            self._identity = f"kafka:{cluster_id(self.bootstrap)}/{self.topic}"
        return self._identity

    def _all(self) -> list[TopicPartition]:
        if not self._partitions:
            with self._probe_lock:
                found = self._probe.partitions_for_topic(self.topic) or set()
            self._partitions = [TopicPartition(self.topic, p) for p in sorted(found)]
        return self._partitions

    def _reading(self) -> list[TopicPartition]:
        """The partitions this reader owns: all of them, or the group's share."""
        if not self._joined:
            if self.group_id is None:
                self._consumer.assign(self._all())
            else:
                # Know the topic's partitions before joining: a member that joins before its
                # metadata has the topic is assigned nothing and forces an extra rebalance at once.
                self._consumer.partitions_for_topic(self.topic)
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
        """The end of each partition; while the broker is away, the last end seen."""
        partitions = self._all()
        with self._probe_lock, contextlib.suppress(KafkaError):
            ends = self._probe.end_offsets(partitions, timeout_ms=1500)
            self._last_head = {tp.partition: end - 1 for tp, end in ends.items()}
        return dict(self._last_head)

    def checkpoint_before(self, moment: datetime) -> dict[int, int]:
        millis = int(moment.astimezone(UTC).timestamp() * 1000)
        partitions = self._all()
        with self._probe_lock:
            found = self._probe.offsets_for_times(dict.fromkeys(partitions, millis))
            ends = self._probe.end_offsets(partitions)
        return {
            tp.partition: (hit.offset - 1 if hit is not None else ends[tp] - 1)
            for tp, hit in found.items()
        }

    def close(self) -> None:
        with self._lock, self._probe_lock:
            self._consumer.close()
            self._probe.close()
