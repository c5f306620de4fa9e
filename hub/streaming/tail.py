"""One live tail of the canonical stream per process, shared by every SSE subscriber.

Without it every connected client polls a reader of its own (on Kafka: a consumer each), so the
cost of the live stream grows with the audience. The tail is one `Worker` reading one stream from
the head it saw at start; it keeps the last `capacity` records, each already rendered to JSON
once, in a ring. A subscriber that has caught up takes what is new from the ring; one that falls
out of the ring (a slow client) or starts before it (a replay) reads pages of its own until it
can join again. Memory is therefore bounded by the ring, whatever the number of clients.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hub.worker import Worker
from projections.stream import EventStream, StreamRecord, reached


@dataclass(frozen=True)
class Frame:
    """One record rendered once for every subscriber: its type, its `data:`, and what decides
    who may see it (its channel, and whether it is public)."""

    event_type: str
    data: str
    channel: str
    public: bool


@dataclass(frozen=True)
class TailEntry:
    """One record of the ring: its sequence number in the ring, where it is, and its frame."""

    seq: int
    partition: int
    position: int
    frame: Frame


class LiveTail(Worker):
    """The shared reader (module doc); `entries_after` is safe to call from any thread."""

    name = "stream-tail"

    def __init__(
        self,
        stream: EventStream,
        render: Callable[[StreamRecord], Frame],
        *,
        capacity: int = 2048,
        page_size: int = 200,
        poll_interval: float = 0.2,
    ) -> None:
        super().__init__(idle_wait=poll_interval)
        self.stream, self.render, self.page_size = stream, render, page_size
        self._ring: deque[TailEntry] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._at: dict[int, int] | None = None
        self._base: dict[int, int] = {}  # the checkpoint just before the ring's first entry
        self._next_seq = 0

    def prime(self) -> None:
        """Fix where the tail starts: the head now (call once, before `start`)."""
        if self._at is None:
            head = dict(self.stream.head())
            with self._lock:
                self._at, self._base = head, dict(head)

    def now(self) -> tuple[dict[int, int], int]:
        """Where a subscriber that wants only what comes next starts: (checkpoint, sequence)."""
        with self._lock:
            return dict(self._at or {}), self._next_seq

    def step(self) -> int:
        self.prime()
        assert self._at is not None
        page = self.stream.read(self._at, self.page_size)
        rendered = [(r, self.render(r)) for r in page]  # outside the lock
        with self._lock:
            for record, frame in rendered:
                if len(self._ring) == self._ring.maxlen:
                    dropped = self._ring[0]
                    self._base[dropped.partition] = dropped.position
                entry = TailEntry(self._next_seq, record.partition, record.position, frame)
                self._ring.append(entry)
                self._next_seq += 1
                self._at[record.partition] = record.position
        return len(page)

    @property
    def started(self) -> bool:
        return self._at is not None

    def entries_after(
        self, at: Mapping[int, int], seq: int | None
    ) -> tuple[list[TailEntry], int] | None:
        """What a subscriber at `at` (next ring sequence `seq`, None on joining) gets now.

        Returns the entries and the next sequence number to ask for, or None when the ring no
        longer holds everything after `at`: the subscriber must read pages of its own first.
        """
        with self._lock:
            if not self.started or not reached(at, self._base):
                return None
            first = self._ring[0].seq if self._ring else self._next_seq
            if seq is not None and seq < first:
                return None  # fell out of the ring while it was slow
            entries = [e for e in self._ring if e.seq >= (first if seq is None else seq)]
            following = self._next_seq
        if seq is None:  # joining: skip what the subscriber has already had
            entries = [e for e in entries if e.position > at.get(e.partition, -1)]
        return entries, following
