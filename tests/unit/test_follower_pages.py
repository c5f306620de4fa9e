"""The projector's page size: it grows while the views are behind and falls back once level."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.domain import DomainEvent

from hub.streaming import follower as follower_module
from hub.streaming.follower import Follower
from projections.database import Connection, ViewDatabase
from projections.stream import Event, StreamRecord


class CountingProjection:
    name, prefix = "counting", ""
    tables: tuple[str, ...] = ("counted",)

    def create_tables(self, conn: Connection) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS counted (position INTEGER)")

    def apply(self, conn: Connection, event: Event) -> None:
        conn.execute("INSERT INTO counted VALUES (?)", (event.originator_version,))


class ListStream:
    """A stream of `size` records on one partition that remembers the limits it was asked for."""

    identity = "list"

    def __init__(self, size: int) -> None:
        self.records: list[StreamRecord] = []
        self.limits: list[int] = []
        self.append(size)

    def read(self, after: Mapping[int, int], limit: int = 500) -> list[StreamRecord]:
        self.limits.append(limit)
        start = after.get(0, -1) + 1
        return self.records[start : start + limit]

    def head(self) -> dict[int, int]:
        return {0: len(self.records) - 1}

    def checkpoint_before(self, moment: datetime) -> dict[int, int]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def append(self, count: int) -> None:
        at, first = datetime.now(UTC), len(self.records)
        for n in range(first, first + count):
            event = DomainEvent(originator_id=uuid4(), originator_version=n, timestamp=at)
            self.records.append(StreamRecord(0, n, event))


def test_pages_grow_while_behind_up_to_the_cap_and_fall_back_when_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(follower_module, "CATCH_UP_GROWTH", 4)
    stream = ListStream(100)
    db = ViewDatabase(tmp_path / "views.sqlite")
    follower = Follower(stream, db, [CountingProjection()], page_size=4)
    follower.catch_up()
    # 4 + 8 + 16 * 5 = 92 in full pages, 8 more in a short one, then nothing at the base size
    assert stream.limits == [4, 8, 16, 16, 16, 16, 16, 16, 4]
    assert db.connect().execute("SELECT count(*) FROM counted").fetchone()[0] == 100
    stream.limits.clear()
    stream.append(3)  # level: pages stay at the base size
    follower.catch_up()
    assert stream.limits == [4, 4]
    db.close()
