"""The views in PostgreSQL: the same projections, tables and positions as the SQLite file.

Each thread keeps one connection in autocommit mode and opens its own transactions, exactly as
with SQLite, so the projections and the API need no second code path. The projections' portable
SQL (`?` and `:name` parameters) is translated once per statement to psycopg's `%s`/`%(name)s`.

Several processes share these tables: two projectors that ever write the same partition are
serialised by the row of its position (the later one finds it already advanced and rolls back),
so a view still applies each event exactly once. A lost database surfaces as `UnavailableError`
(the API answers 503). A connection found broken is replaced on its next use; a statement outside
a transaction (a read, or BEGIN) that meets a connection the server dropped while it was idle is
sent once more on a new one, so a restarted server costs no failed request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from domain.errors import UnavailableError
from hub.settings import Settings
from hub.storage.database_url import DatabaseUrl
from projections.connections import ThreadConnections
from projections.database import Connection, Cursor, ViewDatabase

CONNECT_TIMEOUT_S = 2
# Advisory lock keys (one database may serve one hub): schema changes, the one publishing relay,
# the one projector of the embedded stream.
SCHEMA_LOCK, RELAY_LEASE, PROJECTOR_LEASE = 7_202_611, 7_202_612, 7_202_613

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
    """One thread's psycopg connection behind the `Connection` the projections use."""

    def __init__(self, url: DatabaseUrl) -> None:
        self.url = url
        self.raw = connect(url)

    @property
    def broken(self) -> bool:
        return self.raw.closed or self.raw.broken

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        return self._run(lambda: self.raw.execute(translate(sql), parameters))

    def executemany(self, sql: str, parameters: Any, /) -> Cursor:
        def run() -> Cursor:
            cursor = self.raw.cursor()
            cursor.executemany(translate(sql), parameters)
            return cursor

        return self._run(run)

    def _run(self, statement: Callable[[], Cursor]) -> Cursor:
        idle = not self.broken and self.raw.info.transaction_status == TransactionStatus.IDLE
        if self.broken:
            self.raw = connect(self.url)
            idle = True
        try:
            return statement()
        except psycopg.OperationalError as exc:
            if not self.broken:
                raise  # the statement's own failure (a lock timeout, say), not a lost server
            if not idle:
                raise _lost(self.url, exc) from exc
        self.raw = connect(self.url)  # dropped while idle (a restarted server): once more
        try:
            return statement()
        except psycopg.OperationalError as exc:
            raise _lost(self.url, exc) from exc

    def close(self) -> None:
        self.raw.close()


def _lost(url: DatabaseUrl, exc: Exception) -> UnavailableError:
    return UnavailableError(
        f"lost the views database at {url}: {first_line(exc)}", reason="database-unreachable"
    )


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
        self._connections = ThreadConnections(self._open)
        self.create_positions()

    @contextmanager
    def schema_transaction(self) -> Iterator[Connection]:
        """Concurrent CREATE ... IF NOT EXISTS can collide in PostgreSQL: one process at a time."""
        with self.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK,))
            yield conn

    def _open(self) -> Connection:
        return PostgresConnection(self.url)

    @staticmethod
    def _rollback(conn: Connection) -> None:
        """Roll back, unless the connection is already gone (the server rolled it back)."""
        assert isinstance(conn, PostgresConnection)
        if not conn.broken:
            conn.execute("ROLLBACK")

    def mark_version(self, conn: Connection) -> None:
        """Nothing to mark: a SQLite file's version pragma has no PostgreSQL counterpart."""

    def heal(self) -> bool:
        """Never replaced here: the server keeps its own pages whole (a file is SQLite's case)."""
        return False

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

    @staticmethod
    def json_text(column: str, *path: str) -> str:
        return f"({column}::jsonb #>> '{{{','.join(path)}}}')"

    def scrub(self) -> bool:
        """Nothing to do from here: PostgreSQL keeps a rewritten row's old version until vacuum
        reuses its space, and its WAL by its own rules (what that means for erasure is said in
        `docs/privacy.md`)."""
        return True


def open_views(settings: Settings) -> ViewDatabase:
    """The views `settings` ask for: PostgreSQL with a database URL, else the SQLite file."""
    if settings.database_url is None:
        return ViewDatabase(settings.views_db)
    return PostgresViewDatabase(DatabaseUrl.parse(settings.database_url))


def probe(url: DatabaseUrl) -> None:
    """Connect once and ask for nothing: fails fast, naming the URL, when the server is gone."""
    connect(url).close()


@contextmanager
def schema_lock(url: DatabaseUrl) -> Iterator[None]:
    """Hold the schema lock while tables are created (eventsourcing's own take no lock)."""
    with connect(url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        yield


class AdvisoryLease:
    """True for the one process holding a session advisory lock; the others stand by.

    The lock lives as long as this connection: when its process dies (even by SIGKILL) the
    server ends the session and another process takes over at its next try.
    """

    def __init__(self, url: DatabaseUrl, key: int) -> None:
        self.url, self.key = url, key
        self._conn: psycopg.Connection[Row] | None = None
        self._held = False

    def __call__(self) -> bool:
        try:
            if self._conn is None or self._conn.broken or self._conn.closed:
                self._conn, self._held = connect(self.url), False
            if self._held:
                self._conn.execute("SELECT 1")  # still ours while the session lives
            else:
                row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
                self._held = bool(row and row[0])
        except (psycopg.OperationalError, UnavailableError):
            self._held = False
        return self._held

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn, self._held = None, False
