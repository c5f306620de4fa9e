"""What a projection is: a named view with its own tables that folds events in, exactly once.

The runner hands a projection pages of stream records; the rows the projection writes and its new
checkpoint commit in one transaction, so after any crash a view is exactly as of its checkpoint.
Records at or before the checkpoint are skipped (the stream is at-least-once).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Protocol

from projections.database import ViewDatabase
from projections.stream import Event, StreamRecord


class Projection(Protocol):
    name: str

    def create_tables(self, conn: sqlite3.Connection) -> None:
        """Create the view's tables if they do not exist (idempotent)."""
        ...

    def apply(self, conn: sqlite3.Connection, event: Event) -> None:
        """Fold one event into the view's rows, inside the caller's transaction."""
        ...


def install(db: ViewDatabase, projection: Projection) -> None:
    with db.transaction() as conn:
        projection.create_tables(conn)


def apply_page(db: ViewDatabase, projection: Projection, page: Sequence[StreamRecord]) -> int:
    """Apply the records past the projection's checkpoint; returns how many were applied."""
    with db.transaction() as conn:
        checkpoint = db.checkpoint(projection.name, conn)
        fresh = [r for r in page if r.position > checkpoint.get(r.partition, -1)]
        last: dict[int, int] = {}
        for record in fresh:
            projection.apply(conn, record.event)
            last[record.partition] = record.position
        for partition, position in last.items():
            db.advance(conn, projection.name, partition, position)
        return len(fresh)
