"""What a projection is: a named view with its own tables that folds events in, exactly once.

The runner hands a projection pages of `(position, event)`; the rows the projection writes and its
new position commit in one transaction, so after any crash a view is exactly as of its position.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from projections.database import ViewDatabase

Positioned = tuple[int, DomainEventProtocol[UUID]]


class Projection(Protocol):
    name: str

    def create_tables(self, conn: sqlite3.Connection) -> None:
        """Create the view's tables if they do not exist (idempotent)."""
        ...

    def apply(self, conn: sqlite3.Connection, event: DomainEventProtocol[UUID]) -> None:
        """Fold one event into the view's rows, inside the caller's transaction."""
        ...


def install(db: ViewDatabase, projection: Projection) -> None:
    with db.transaction() as conn:
        projection.create_tables(conn)


def apply_page(db: ViewDatabase, projection: Projection, page: Sequence[Positioned]) -> int:
    """Apply the events of a page past the projection's position; returns the new position."""
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT position FROM positions WHERE name=?", (projection.name,)
        ).fetchone()
        current = int(row[0]) if row else 0
        fresh = [(pos, event) for pos, event in page if pos > current]
        if not fresh:
            return current
        for _, event in fresh:
            projection.apply(conn, event)
        last = fresh[-1][0]
        db.advance(conn, projection.name, last)
        return last
