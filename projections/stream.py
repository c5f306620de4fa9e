"""The stream interface projections and replay read from, whatever carries the events.

Two implementations sit behind it: the store's own notification log (embedded, one partition:
the notification id is the position) and the canonical Kafka topic (a position per partition:
the offset). A `Checkpoint` maps partition -> last position applied; an absent partition means
"from the start". Order is guaranteed within a partition, and every event of one alert is in
one partition, so order per alert holds for both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from eventsourcing.domain import DomainEvent

Checkpoint = Mapping[int, int]
Event = DomainEvent


@dataclass(frozen=True)
class StreamRecord:
    partition: int
    position: int
    event: Event


class EventStream(Protocol):
    """A partitioned, replayable sequence of canonical alert events."""

    @property
    def identity(self) -> str:
        """Which stream positions count in (a store's log, a cluster's topic): a position is
        meaningless without it, so every checkpoint kept is bound to one."""
        ...

    def read(self, after: Checkpoint, limit: int = 500) -> list[StreamRecord]:
        """Up to `limit` records past `after`, in order within each partition; [] when caught up."""
        ...

    def head(self) -> dict[int, int]:
        """The last position of each partition (what a caught-up reader has applied)."""
        ...

    def checkpoint_before(self, moment: datetime) -> dict[int, int]:
        """A checkpoint just before the first event recorded at or after `moment`."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def lag(head: Mapping[int, int], at: Checkpoint) -> int:
    """How many positions a reader at `at` is behind `head`, summed over partitions."""
    return sum(max(0, last - at.get(p, -1)) for p, last in head.items())


def reached(at: Checkpoint, target: Mapping[int, int]) -> bool:
    return all(at.get(p, -1) >= pos for p, pos in target.items())
