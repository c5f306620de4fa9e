"""Where the alerts' data keys are kept: a small port, and its SQLite implementation.

The store only holds bytes it cannot read: each data key arrives wrapped by the master key
(`hub.privacy.keys`). Destroying a key overwrites it: the row keeps the key id and when it was
destroyed (so an erased alert is told apart from an unknown one), never the key. On SQLite that
means `secure_delete` (freed bytes are zeroed) and a WAL checkpoint that truncates the log, so no
copy of the key is left in the file or beside it.

The port is small so another database (PostgreSQL, beside its event store) can implement it:
`KeyStore` below, with the same semantics, checked by the same contract tests.

    ConfigurationError
    └── KeyStoreError                   the key store cannot be used as it is
        ├── KeyStoreCorruptError            its file is damaged or not a key store
        └── MasterKeyError                  the master key is missing, wrong or unsafe
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from domain.errors import ConfigurationError


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


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS keystore_meta (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS data_keys (key_id TEXT PRIMARY KEY, wrapped BLOB,"
    " created_at TEXT NOT NULL, destroyed_at TEXT)",
)
_CHECK = "master_key_check"


class SqliteKeyStore:
    """Data keys in their own SQLite file beside the event store (`keys.sqlite`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        existed = path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            conn = self._conn()
            if existed:
                self._verify(conn)
            else:
                for statement in _SCHEMA:
                    conn.execute(statement)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise KeyStoreCorruptError(f"key store {path} cannot be read: {exc}") from exc

    def _verify(self, conn: sqlite3.Connection) -> None:
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if result != "ok" or not {"keystore_meta", "data_keys"} <= tables:
            raise KeyStoreCorruptError(
                f"key store {self.path} is damaged or not a key store ({result}); restore it from"
                " a backup: recreating it would make every alert's personal data unreadable"
            )

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA secure_delete=ON")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def is_new(self) -> bool:
        return self.check_value() is None

    def check_value(self) -> bytes | None:
        row = self._conn().execute("SELECT value FROM keystore_meta WHERE name=?", (_CHECK,))
        found = row.fetchone()
        return None if found is None else bytes(found[0])

    def set_check_value(self, value: bytes) -> None:
        self._conn().execute("INSERT INTO keystore_meta VALUES (?, ?)", (_CHECK, value))

    def add(self, key_id: str, wrapped: bytes) -> StoredKey:
        conn = self._conn()
        conn.execute(
            "INSERT OR IGNORE INTO data_keys VALUES (?, ?, ?, NULL)",
            (key_id, wrapped, datetime.now(UTC).isoformat()),
        )
        stored = self.get(key_id)
        assert stored is not None  # just inserted, or there before
        return stored

    def get(self, key_id: str) -> StoredKey | None:
        row = (
            self._conn()
            .execute("SELECT wrapped, destroyed_at FROM data_keys WHERE key_id=?", (key_id,))
            .fetchone()
        )
        if row is None:
            return None
        wrapped, destroyed = row
        return StoredKey(
            key_id,
            None if wrapped is None else bytes(wrapped),
            None if destroyed is None else datetime.fromisoformat(destroyed),
        )

    def destroy(self, key_id: str, at: datetime) -> bool:
        conn = self._conn()
        cursor = conn.execute(
            "INSERT INTO data_keys VALUES (?, NULL, ?, ?) ON CONFLICT(key_id) DO UPDATE"
            " SET wrapped=NULL, destroyed_at=excluded.destroyed_at WHERE destroyed_at IS NULL",
            (key_id, at.isoformat(), at.isoformat()),
        )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return cursor.rowcount == 1

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
