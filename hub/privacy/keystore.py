"""Where the alerts' data keys are kept: a small port, its statements, and its SQLite file.

The store only holds bytes it cannot read: each data key arrives wrapped by the master key
(`hub.privacy.keys`). Destroying a key overwrites it: the row keeps the key id and when it was
destroyed (so an erased alert is told apart from an unknown one), never the key. On SQLite that
means `secure_delete` (freed bytes are zeroed) and a WAL checkpoint that truncates the log, so no
copy of the key is left in the file or beside it.

The port is small, and its statements are one portable SQL (`SqlKeyStore`), so the PostgreSQL
key store (`hub.privacy.keystore_postgres`, beside an event store in PostgreSQL) differs only in
where its connections come from and how it checks its tables; one contract test suite runs on
both.

    ConfigurationError
    └── KeyStoreError                   the key store cannot be used as it is
        ├── KeyStoreCorruptError            its file is damaged or not a key store
        └── MasterKeyError                  the master key is missing, wrong or unsafe
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from domain.errors import ConfigurationError
from projections.connections import ThreadConnections
from projections.database import Connection


class KeyStoreError(ConfigurationError):
    """The key store cannot be used as it is; the hub refuses to start rather than lose keys."""


class KeyStoreCorruptError(KeyStoreError):
    """The key store is damaged or is not one; it is never silently recreated."""


class MasterKeyError(KeyStoreError):
    """The master key is missing, does not open the key store, or is readable by others."""


@dataclass(frozen=True)
class StoredKey:
    """One alert's key as stored: wrapped, or destroyed (then `wrapped` is None)."""

    key_id: str
    wrapped: bytes | None
    destroyed_at: datetime | None


class KeyStore(Protocol):
    """The storage of wrapped data keys and of the master key's check value."""

    def is_new(self) -> bool:
        """True until the first check value is stored (a key store made just now)."""
        ...

    def check_value(self) -> bytes | None:
        """The master key's check value (something wrapped by it), None if none yet."""
        ...

    def set_check_value(self, value: bytes) -> None: ...

    def add(self, key_id: str, wrapped: bytes) -> StoredKey:
        """Keep a new key unless one exists; returns the key kept (the first writer wins)."""
        ...

    def get(self, key_id: str) -> StoredKey | None: ...

    def destroy(self, key_id: str, at: datetime) -> bool:
        """Overwrite the key, keeping a tombstone; True if it was there to destroy."""
        ...

    def close(self) -> None: ...


_CHECK = "master_key_check"
EVENTS_TABLE = "stored_events"  # eventsourcing's table of the event store in SQLite
SEALED_MARK = b'"sealed'
"""Found in a stored event's bytes only if it has sealed fields (`sealed`, `sealed_body`)."""


def schema(meta: str, keys: str, blob: str) -> tuple[str, ...]:
    """The key store's two tables, by name, with the engine's name for a byte string."""
    return (
        f"CREATE TABLE IF NOT EXISTS {meta} (name TEXT PRIMARY KEY, value {blob} NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {keys} (key_id TEXT PRIMARY KEY, wrapped {blob},"
        " created_at TEXT NOT NULL, destroyed_at TEXT)",
    )


class SqlKeyStore:
    """`KeyStore` in SQL, one connection per thread: subclasses say how a connection is opened
    and what a destroy needs besides the statement."""

    meta_table = "keystore_meta"
    keys_table = "data_keys"
    blob = "BLOB"

    def __init__(self) -> None:
        self._connections = ThreadConnections(self._connect)

    def _connect(self) -> Connection:
        raise NotImplementedError

    def _conn(self) -> Connection:
        return self._connections.get()

    def close(self) -> None:
        self._connections.close()

    def _forget(self, conn: Connection) -> None:
        """After a key was overwritten: what the engine needs so no old copy is left."""

    def create_tables(self, conn: Connection) -> None:
        for statement in schema(self.meta_table, self.keys_table, self.blob):
            conn.execute(statement)

    def is_new(self) -> bool:
        return self.check_value() is None

    def check_value(self) -> bytes | None:
        row = (
            self._conn()
            .execute(f"SELECT value FROM {self.meta_table} WHERE name=?", (_CHECK,))
            .fetchone()
        )
        return None if row is None else bytes(row[0])

    def set_check_value(self, value: bytes) -> None:
        """Keep the check value unless one is there (two processes starting at once: one wins)."""
        self._conn().execute(
            f"INSERT INTO {self.meta_table} VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (_CHECK, value),
        )

    def add(self, key_id: str, wrapped: bytes) -> StoredKey:
        self._conn().execute(
            f"INSERT INTO {self.keys_table} VALUES (?, ?, ?, NULL) ON CONFLICT (key_id) DO NOTHING",
            (key_id, wrapped, datetime.now(UTC).isoformat()),
        )
        stored = self.get(key_id)
        assert stored is not None  # just inserted, or there before
        return stored

    def get(self, key_id: str) -> StoredKey | None:
        row = (
            self._conn()
            .execute(
                f"SELECT wrapped, destroyed_at FROM {self.keys_table} WHERE key_id=?", (key_id,)
            )
            .fetchone()
        )
        if row is None:
            return None
        wrapped, destroyed = row[0], row[1]
        return StoredKey(
            key_id,
            None if wrapped is None else bytes(wrapped),
            None if destroyed is None else datetime.fromisoformat(destroyed),
        )

    def destroy(self, key_id: str, at: datetime) -> bool:
        conn, table = self._conn(), self.keys_table
        cursor = conn.execute(
            f"INSERT INTO {table} VALUES (?, NULL, ?, ?) ON CONFLICT (key_id) DO UPDATE"
            f" SET wrapped=NULL, destroyed_at=excluded.destroyed_at"
            f" WHERE {table}.destroyed_at IS NULL",
            (key_id, at.isoformat(), at.isoformat()),
        )
        destroyed = cursor.rowcount == 1
        self._forget(conn)
        return destroyed


def missing_tables(found: Iterable[str], store: SqlKeyStore) -> set[str]:
    return {store.meta_table, store.keys_table} - set(found)


class SqliteKeyStore(SqlKeyStore):
    """Data keys in their own SQLite file beside the event store (`keys.sqlite`)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        existed = path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = self._conn()
            if existed:
                self._verify(conn)
            else:
                self.create_tables(conn)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise KeyStoreCorruptError(f"key store {path} cannot be read: {exc}") from exc

    def _verify(self, conn: Connection) -> None:
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        if result != "ok" or missing_tables(tables, self):
            raise KeyStoreCorruptError(
                f"key store {self.path} is damaged or not a key store ({result}); restore it from"
                " a backup: recreating it would make every alert's personal data unreadable"
            )

    def _connect(self) -> Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def _forget(self, conn: Connection) -> None:
        """Freed bytes are zeroed (`secure_delete`); the WAL's old page images go too."""
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
