"""The embedded stream: the event store's notification log, read as a single partition.

Readers get events opened (personal fields decrypted while their key exists); the relay reads
them `sealed`, as they are stored, so what it publishes holds only ciphertext.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from eventsourcing.persistence import Notification

from hub.storage.store import EventStore
from projections.stream import Checkpoint, Event, StreamRecord

PARTITION = 0


class EmbeddedStream:
    """Alert events of the store in notification order; position = notification id."""

    def __init__(self, store: EventStore, *, sealed: bool = False) -> None:
        self.store = store
        self.topics = store.alert_topics
        self._to_event = store.to_sealed_event if sealed else store.mapper.to_domain_event
        self._identity: str | None = None

    @property
    def identity(self) -> str:
        """`embedded:<store id>`: positions here are notification ids of this one store."""
        if self._identity is None:
            self._identity = f"embedded:{self.store.store_id()}"
        return self._identity

    def read(self, after: Checkpoint, limit: int = 500) -> list[StreamRecord]:
        to_event = self._to_event
        return [
            StreamRecord(PARTITION, n.id, cast(Event, to_event(n)))
            for n in self.read_stored(after, limit)
        ]

    def read_stored(self, after: Checkpoint, limit: int = 500) -> Sequence[Notification]:
        """The page `read` gives, as stored: what the relay encodes without building events."""
        return self.store.recorder.select_notifications(
            start=after.get(PARTITION, 0), limit=limit, topics=self.topics, inclusive_of_start=False
        )

    def event_of(self, notification: Notification) -> Event:
        """One stored event of `read_stored` as `read` gives it."""
        return cast(Event, self._to_event(notification))

    def head(self) -> dict[int, int]:
        """The last notification id; nothing at all while the store is empty."""
        last = self.store.max_position()
        return {PARTITION: last} if last else {}

    def checkpoint_before(self, moment: datetime) -> dict[int, int]:
        """Binary search on notification ids; event timestamps grow with them (one writer)."""
        low, high = 0, self.store.max_position()
        while low < high:
            middle = (low + high) // 2
            page = self.read({PARTITION: middle}, limit=1)
            if not page or page[0].event.timestamp >= moment:
                high = middle
            else:
                low = page[0].position
        return {PARTITION: low}

    def close(self) -> None:
        """The store is closed by its owner."""
