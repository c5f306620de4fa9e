"""The views' database: rows and each projection's position change in one transaction.

Embedded, the views live in a SQLite file: one writer (the projector) and many readers (API
threads) share it in WAL mode, each thread with its own connection, as sqlite3 requires. With a
database URL they live in PostgreSQL (`projections.postgres`), where several projector and API
processes share them. Projections write one portable SQL (`?` and `:name` parameters, upserts
with `ON CONFLICT`), so the same code runs on both.

Deleted and overwritten rows are zeroed (`secure_delete`) and `scrub` empties the WAL, so an
erased alert's old rows leave no bytes behind in the SQLite file.

Views are disposable: the event store is the truth. A views file that is corrupt (its header or
any page: `PRAGMA quick_check` at start, and again when a read meets a malformed page) or from
an incompatible version (`PRAGMA user_version`) is moved aside (kept, renamed with the reason
and a time, for a post-mortem) and a fresh file takes its place; the projections then rebuild
it from the stream, and `rebuilding` stays true until they have caught up.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

import structlog

from domain.errors import AlertHubError, ConfigurationError
from projections.connections import ThreadConnections
from projections.dialect import upsert

log = structlog.get_logger(__name__)
VERSION = 2  # raise it when a change to the view tables needs a rebuild


class CorruptFileError(ConfigurationError):
    """A file that cannot be rebuilt (the event store's) is damaged: the hub does not start."""


class PositionConflictError(AlertHubError):
    """A projection tried to move its position backwards: a second writer, or a replayed page."""


class Cursor(Protocol):
    """What projections use of a DB-API cursor (sqlite3's and the PostgreSQL adapter's)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """A connection as projections see it; rows answer both `row[0]` and `row["name"]`."""

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Any, /) -> Cursor: ...

    def close(self) -> None: ...


POSITIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS positions (name TEXT NOT NULL,"
    " partition BIGINT NOT NULL, position BIGINT NOT NULL,"
    " PRIMARY KEY (name, partition))"
)
# Which stream each name's positions count in (see `ViewDatabase.bind`).
POSITION_STREAMS_TABLE = (
    "CREATE TABLE IF NOT EXISTS position_streams (name TEXT PRIMARY KEY, stream TEXT NOT NULL)"
)


class ViewDatabase:
    """The views' SQLite file, with a `positions` table shared by every projection.

    Subclasses change where connections come from (`connect`, `close`), the statements that
    differ between engines, and whether a file can be healed (`heal`); everything else is shared.
    """

    begin = "BEGIN IMMEDIATE"  # take the write lock at once: no upgrade deadlock between writers
    suspect = False  # a read met a malformed page: check (and heal) soon
    rebuilding = False  # a fresh file replaced a bad one; true until the projections caught up

    def __init__(self, path: Path, *, disposable: bool = True) -> None:
        """`disposable`: the file is the views' own, marked with their layout `VERSION`, and
        moved aside (then rebuilt) when it is corrupt or holds another layout. The event store
        keeps its positions in its own file with `disposable=False`: that file is the truth,
        never moved aside, and a corrupt one stops the hub (`CorruptFileError`)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.disposable = path, disposable
        self._connections: ThreadConnections[Connection] = ThreadConnections(self._open)
        if problem := self._problem():
            if not disposable:
                raise CorruptFileError(
                    f"{path} is {problem}; it cannot be rebuilt: restore it from a backup"
                )
            self._move_aside(problem)
        self.create_positions()

    def _problem(self) -> str | None:
        """What is wrong with the file, if anything: corrupt, or from an incompatible version."""
        if not self.path.exists():
            return None
        try:
            conn = sqlite3.connect(self.path, isolation_level=None)
            try:
                checks = [row[0] for row in conn.execute("PRAGMA quick_check")]
                version = conn.execute("PRAGMA user_version").fetchone()[0]
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            return f"corrupt ({exc})"
        if checks != ["ok"]:
            return f"corrupt ({'; '.join(checks[:3])})"
        if self.disposable and version not in {0, VERSION}:
            return f"incompatible (version {version}, this hub keeps {VERSION})"
        return None

    def _move_aside(self, problem: str) -> None:
        """Keep the bad file for a post-mortem and start an empty one, to be rebuilt."""
        self._connections.forget()  # each thread reconnects, to the new file
        stamp = time.strftime("%Y%m%dT%H%M%S")
        kind = problem.split(" ", 1)[0]
        for suffix in ("", "-wal", "-shm"):
            source = self.path.with_name(self.path.name + suffix)
            if source.exists():
                source.rename(self.path.with_name(f"{self.path.name}.{kind}-{stamp}{suffix}"))
        self.rebuilding = True
        log.error("views.moved_aside", path=str(self.path), problem=problem)

    def heal(self) -> bool:
        """Check the file after a read met a malformed page; True when it was replaced."""
        if not self.suspect:
            return False
        self.suspect = False
        problem = self._problem()
        if problem is None:
            return False
        self._move_aside(problem)
        self.create_positions()
        return True

    def create_positions(self) -> None:
        with self.schema_transaction() as conn:
            conn.execute(POSITIONS_TABLE)
            conn.execute(POSITION_STREAMS_TABLE)
            self.mark_version(conn)

    def mark_version(self, conn: Connection) -> None:
        """Write the views' layout version into the file (checked by `_problem` at start)."""
        if self.disposable:
            conn.execute(f"PRAGMA user_version={VERSION}")

    def schema_transaction(self) -> AbstractContextManager[Connection]:
        """A transaction that creates tables (one at a time where several processes start)."""
        return self.transaction()

    def connect(self) -> Connection:
        """The calling thread's connection."""
        return self._connections.get()

    def _open(self) -> Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        for pragma in ("secure_delete=ON", "journal_mode=WAL", "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("PRAGMA busy_timeout=30000")  # wait for the one writer, never fail at once
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """BEGIN ... COMMIT, rolled back on any exception."""
        conn = self.connect()
        conn.execute(self.begin)
        try:
            yield conn
        except BaseException:
            self._rollback(conn)
            raise
        conn.execute("COMMIT")

    @staticmethod
    def _rollback(conn: Connection) -> None:
        conn.execute("ROLLBACK")

    def index_names(self, conn: Connection, prefix: str) -> list[str]:
        """Names of the indexes whose name starts with `prefix` (a rebuild's copy)."""
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type='index' AND substr(name, 1, ?) = ?",
            (len(prefix), prefix),
        )
        return [row[0] for row in rows if not row[0].startswith("sqlite_autoindex")]

    def adopt_indexes(self, conn: Connection, prefix: str) -> None:
        """After a rebuild's copy took the live tables' names: drop its indexes' old names.

        SQLite cannot rename an index; the caller re-creates them under the live names.
        """
        for index in self.index_names(conn, prefix):
            conn.execute(f"DROP INDEX {index}")

    @staticmethod
    def json_text(column: str, *path: str) -> str:
        """SQL for the text at `path` in a JSON document column (NULL where absent or null)."""
        return f"json_extract({column}, '$.{'.'.join(path)}')"

    def checkpoint(self, name: str, conn: Connection | None = None) -> dict[int, int]:
        """partition -> last position applied, for one projection (or the relay)."""
        rows = (conn or self.connect()).execute(
            "SELECT partition, position FROM positions WHERE name=?", (name,)
        )
        return {int(p): int(pos) for p, pos in rows}

    def stream_of(self, name: str, conn: Connection | None = None) -> str | None:
        """The stream `name`'s positions count in; None when never bound."""
        row = (
            (conn or self.connect())
            .execute("SELECT stream FROM position_streams WHERE name=?", (name,))
            .fetchone()
        )
        return None if row is None else str(row[0])

    @staticmethod
    def bind(conn: Connection, name: str, stream: str) -> None:
        """Record, inside the caller's transaction, that `name`'s positions count in `stream`."""
        conn.execute(upsert("position_streams", ("name", "stream"), ("name",)), (name, stream))

    @staticmethod
    def forget(conn: Connection, name: str) -> None:
        """Drop `name`'s positions and binding (it starts again from the beginning)."""
        conn.execute("DELETE FROM positions WHERE name=?", (name,))
        conn.execute("DELETE FROM position_streams WHERE name=?", (name,))

    @staticmethod
    def raise_to(conn: Connection, name: str, partition: int, position: int) -> int:
        """Move a position forward if it is behind `position`; how many rows moved (0 or 1)."""
        cursor = conn.execute(
            "INSERT INTO positions VALUES (?, ?, ?) ON CONFLICT(name, partition) DO UPDATE "
            "SET position=excluded.position WHERE positions.position < excluded.position",
            (name, partition, position),
        )
        return cursor.rowcount

    @classmethod
    def advance(cls, conn: Connection, name: str, partition: int, position: int) -> None:
        """Move a position forward inside the caller's transaction, never back."""
        if cls.raise_to(conn, name, partition, position) != 1:
            raise PositionConflictError(
                f"{name} is already at or past {position} in partition {partition}"
            )

    def scrub(self) -> bool:
        """Copy the WAL into the file and truncate it: old page images (rows as they were before
        an erasure rewrote them) leave the disk. False while a reader still holds them."""
        busy, _, _ = self.connect().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy

    def close(self) -> None:
        self._connections.close()
