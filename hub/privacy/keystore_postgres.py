"""The key store in PostgreSQL, beside an event store there: every process of the hub shares it.

With a database URL, API processes and projectors on several machines seal and open with the same
data keys, so the keys cannot live in one machine's file. The tables are the SQLite key store's,
prefixed (`alerthub_keystore_meta`, `alerthub_data_keys`) so they stand apart from the views'.
Every process must be given the same master key (`ALERTHUB_MASTER_KEY`, or the same key file):
one with another key is refused at start by the check value, as with SQLite.

Destroying a key overwrites its row; PostgreSQL keeps the old row version (the key, still wrapped)
until vacuum reclaims it, and in its WAL and backups. Without the master key, which is never
stored in the database, that copy opens nothing (see `docs/privacy.md`).

A key store whose tables are gone while the event store holds sealed events is refused, never
recreated: a new one would open nothing.
"""

from __future__ import annotations

from hub.privacy.keystore import (
    SEALED_MARK,
    KeyStoreCorruptError,
    SqlKeyStore,
    missing_tables,
)
from hub.storage.database_url import DatabaseUrl
from hub.storage.postgres import PostgresConnection, schema_lock
from projections.database import Connection

EVENTS_TABLE = "alerthub_events"  # eventsourcing's table of the event store, by its name


class PostgresKeyStore(SqlKeyStore):
    """Wrapped data keys in the hub's PostgreSQL database, one connection per thread."""

    meta_table = "alerthub_keystore_meta"
    keys_table = "alerthub_data_keys"
    blob = "BYTEA"

    def __init__(self, url: DatabaseUrl) -> None:
        super().__init__()
        self.url = url
        try:
            with schema_lock(url):  # several processes may start at once
                self._open(self._conn())
        except BaseException:
            self.close()
            raise

    def _open(self, conn: Connection) -> None:
        found = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        ]
        missing = missing_tables(found, self)
        if len(missing) == 1:
            raise KeyStoreCorruptError(
                f"the key store at {self.url} lacks its table {missing.pop()}; restore it from a"
                " backup: recreating it would make every alert's personal data unreadable"
            )
        if missing and EVENTS_TABLE in found and self._sealed_events(conn):
            raise KeyStoreCorruptError(
                f"the event store at {self.url} holds sealed events but its key store is gone:"
                " restore the key store (a new one would open nothing)"
            )
        self.create_tables(conn)

    @staticmethod
    def _sealed_events(conn: Connection) -> bool:
        row = conn.execute(
            f"SELECT 1 FROM {EVENTS_TABLE} WHERE position(? in state) > 0 LIMIT 1", (SEALED_MARK,)
        ).fetchone()
        return row is not None

    def _connect(self) -> Connection:
        return PostgresConnection(self.url)
