"""A SQLite file for views: rows and each projection's position change in one transaction.

One writer (the projector) and many readers (API threads) share the file in WAL mode; each
thread keeps its own connection, as sqlite3 requires.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from domain.errors import AlertHubError


class PositionConflictError(AlertHubError):
    """A projection tried to move its position backwards: a second writer, or a replayed page."""


class ViewDatabase:
    """The views' SQLite file, with a `positions` table shared by every projection."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self.transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS positions (name TEXT NOT NULL,"
                " partition INTEGER NOT NULL, position INTEGER NOT NULL,"
                " PRIMARY KEY (name, partition))"
            )

    def connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
        conn = self.connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def checkpoint(self, name: str, conn: sqlite3.Connection | None = None) -> dict[int, int]:
        """partition -> last position applied, for one projection (or the relay)."""
        rows = (conn or self.connect()).execute(
            "SELECT partition, position FROM positions WHERE name=?", (name,)
        )
        return {int(p): int(pos) for p, pos in rows}

    @staticmethod
    def advance(conn: sqlite3.Connection, name: str, partition: int, position: int) -> None:
        """Move a position forward inside the caller's transaction, never back."""
        cursor = conn.execute(
            "INSERT INTO positions VALUES (?, ?, ?) ON CONFLICT(name, partition) DO UPDATE "
            "SET position=excluded.position WHERE positions.position < excluded.position",
            (name, partition, position),
        )
        if cursor.rowcount != 1:
            raise PositionConflictError(
                f"{name} is already at or past {position} in partition {partition}"
            )

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
