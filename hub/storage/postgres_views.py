"""The views in PostgreSQL: the same projections, tables and positions as the SQLite file.

Each thread keeps one connection in autocommit mode and opens its own transactions, exactly as
with SQLite, so the projections and the API need no second code path. The projections' portable
SQL (`?` and `:name` parameters) is translated once per statement to psycopg's `%s`/`%(name)s`.

Several processes share these tables: two projectors that ever write the same partition are
serialised by the row of its position (the later one finds it already advanced and rolls back),
so a view still applies each event exactly once. A lost database surfaces as `UnavailableError`
(the API answers 503); the broken connection is dropped and the next use reconnects.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg

from domain.errors import UnavailableError
from hub.settings import Settings
from hub.storage.database_url import DatabaseUrl
from projections.database import Connection, Cursor, ViewDatabase

CONNECT_TIMEOUT_S = 2

_PLACEHOLDER = re.compile(r"%|\?|(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """Portable SQL to psycopg's: `?` -> `%s`, `:name` -> `%(name)s`, a literal `%` -> `%%`."""

    def swap(match: re.Match[str]) -> str:
        if match.group(0) == "%":
            return "%%"
        return "%s" if match.group(0) == "?" else f"%({match.group(1)})s"

    return _PLACEHOLDER.sub(swap, sql)


class Row(tuple[Any, ...]):
    """A result row read by position or by column name, like `sqlite3.Row`."""

    _index: dict[str, int]

    def __new__(cls, values: Sequence[Any], index: dict[str, int]) -> Row:
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(self._index[key] if isinstance(key, str) else key)

    def keys(self) -> list[str]:
        return list(self._index)


def _rows(cursor: psycopg.Cursor[Any]) -> Callable[[Sequence[Any]], Row]:
    index = {column.name: i for i, column in enumerate(cursor.description or ())}
    return lambda values: Row(values, index)


class PostgresConnection:
    """One psycopg connection behind the `Connection` the projections use."""

    def __init__(self, raw: psycopg.Connection[Row], url: DatabaseUrl) -> None:
        self.raw, self.url = raw, url

    @property
    def broken(self) -> bool:
        return self.raw.closed or self.raw.broken

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        with self._unavailable():
            return self.raw.execute(translate(sql), parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Cursor:
        with self._unavailable():
            cursor = self.raw.cursor()
            cursor.executemany(translate(sql), parameters)
            return cursor

    @contextmanager
    def _unavailable(self) -> Iterator[None]:
        try:
            yield
        except psycopg.OperationalError as exc:
            if not self.broken:
                raise  # a statement's own failure (a lock timeout, say), not a lost server
            raise UnavailableError(
                f"lost the views database at {self.url}: {first_line(exc)}",
                reason="database-unreachable",
            ) from exc


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def connect(url: DatabaseUrl) -> psycopg.Connection[Row]:
    """A connection in autocommit mode, or `UnavailableError` naming the URL (no password)."""
    try:
        return psycopg.connect(
            url.conninfo(),
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            row_factory=_rows,
            application_name="alerthub",
        )
    except psycopg.OperationalError as exc:
        raise UnavailableError(
            f"cannot connect to the database at {url}: {first_line(exc)}",
            reason="database-unreachable",
        ) from exc


class PostgresViewDatabase(ViewDatabase):
    """The views' tables in a PostgreSQL database, one connection per thread."""

    begin = "BEGIN"  # row locks and the positions' upsert serialise writers

    def __init__(self, url: DatabaseUrl) -> None:
        self.url = url
        self._local = threading.local()
        self._pg_connections: list[PostgresConnection] = []
        self._lock = threading.Lock()
        self.create_positions()

    def connect(self) -> Connection:
        conn: PostgresConnection | None = getattr(self._local, "conn", None)
        if conn is None or conn.broken:
            conn = PostgresConnection(connect(self.url), self.url)
            self._local.conn = conn
            with self._lock:
                self._pg_connections = [c for c in self._pg_connections if not c.broken]
                self._pg_connections.append(conn)
        return conn

    @staticmethod
    def _rollback(conn: Connection) -> None:
        """Roll back, unless the connection is already gone (the server rolled it back)."""
        assert isinstance(conn, PostgresConnection)
        if not conn.broken:
            conn.execute("ROLLBACK")

    def index_names(self, conn: Connection, prefix: str) -> list[str]:
        rows = conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            " AND left(indexname, ?) = ?",
            (len(prefix), prefix),
        )
        return [row[0] for row in rows]

    def adopt_indexes(self, conn: Connection, prefix: str) -> None:
        """PostgreSQL renames indexes (primary keys included) to the live names."""
        for index in self.index_names(conn, prefix):
            conn.execute(f"ALTER INDEX {index} RENAME TO {index.removeprefix(prefix)}")

    def close(self) -> None:
        with self._lock:
            for conn in self._pg_connections:
                conn.raw.close()
            self._pg_connections.clear()
        self._local = threading.local()


def open_views(settings: Settings) -> ViewDatabase:
    """The views `settings` ask for: PostgreSQL with a database URL, else the SQLite file."""
    if settings.database_url is None:
        return ViewDatabase(settings.views_db)
    return PostgresViewDatabase(DatabaseUrl.parse(settings.database_url))
