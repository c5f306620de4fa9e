"""The shared live tail: who may take what from its ring, and who must read pages of its own."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from hub.streaming.tail import Frame, LiveTail
from projections.stream import Checkpoint, Event, StreamRecord


class ListStream:
    """An in-memory stream of one partition, positions 1..n."""

    def __init__(self, count: int) -> None:
        self.records = [StreamRecord(0, n, cast(Event, object())) for n in range(1, count + 1)]

    def add(self, count: int) -> None:
        start = len(self.records) + 1
        self.records += [
            StreamRecord(0, n, cast(Event, object())) for n in range(start, start + count)
        ]

    def read(self, after: Checkpoint, limit: int = 500) -> list[StreamRecord]:
        return [r for r in self.records if r.position > after.get(0, 0)][:limit]

    def head(self) -> dict[int, int]:
        return {0: len(self.records)} if self.records else {}

    def checkpoint_before(self, moment: datetime) -> dict[int, int]:
        raise NotImplementedError

    def close(self) -> None:
        pass


def tail_of(stream: ListStream, capacity: int = 4) -> LiveTail:
    def render(record: StreamRecord) -> Frame:
        return Frame("AlertIssued", f"data-{record.position}", "cap", public=True)

    tail = LiveTail(stream, render, capacity=capacity, page_size=10)
    tail.prime()
    return tail


def positions(answer: Any) -> list[int]:
    assert answer is not None
    return [entry.position for entry in answer[0]]


def test_a_live_subscriber_gets_only_what_is_recorded_after_it_joined() -> None:
    stream = ListStream(5)
    tail = tail_of(stream)
    at, seq = tail.now()
    assert at == {0: 5}
    stream.add(2)
    tail.step()
    answer = tail.entries_after(at, seq)
    assert positions(answer) == [6, 7]
    assert [e.frame.data for e in answer[0]] == ["data-6", "data-7"]  # type: ignore[index]
    assert positions(tail.entries_after({0: 7}, answer[1])) == []  # type: ignore[index]


def test_a_replaying_subscriber_reads_its_own_pages_until_it_reaches_the_tail() -> None:
    stream = ListStream(5)
    tail = tail_of(stream)
    stream.add(3)
    tail.step()
    assert tail.entries_after({0: 2}, None) is None  # before the ring: pages of its own
    assert positions(tail.entries_after({0: 5}, None)) == [6, 7, 8]
    assert positions(tail.entries_after({0: 7}, None)) == [8]  # joining skips what it had


def test_a_subscriber_that_falls_out_of_the_ring_must_read_pages_again() -> None:
    stream = ListStream(0)
    tail = tail_of(stream, capacity=4)
    at, seq = tail.now()
    stream.add(3)
    tail.step()
    answer = tail.entries_after(at, seq)
    assert positions(answer) == [1, 2, 3]
    stream.add(6)  # the ring keeps 4: positions 6..9; the subscriber's next (4) is gone
    tail.step()
    assert tail.entries_after({0: 3}, answer[1]) is None  # type: ignore[index]
    assert positions(tail.entries_after({0: 5}, None)) == [6, 7, 8, 9]


def test_before_it_starts_the_tail_offers_nothing() -> None:
    tail = LiveTail(ListStream(3), str)
    empty: Mapping[int, int] = {}
    assert tail.entries_after(empty, None) is None
