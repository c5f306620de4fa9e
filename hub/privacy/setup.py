"""Opening the privacy parts at start: key store, master key, data keys and the sealer.

The checks here are why a misconfigured hub refuses to start rather than half-works: a key store
that is damaged, missing beside an event store that has events, or opened with another master key
would either serve ciphertext or mint keys nobody can use later.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from adapters.base import EVERY_FREE_TEXT, Channel
from hub.privacy.keys import DataKeys, master_key
from hub.privacy.keystore import (
    EVENTS_TABLE,
    SEALED_MARK,
    KeyStore,
    KeyStoreCorruptError,
    SqliteKeyStore,
    SqlKeyStore,
)
from hub.privacy.keystore_postgres import PostgresKeyStore
from hub.privacy.sealing import FieldsOf, Sealer
from hub.settings import Settings
from hub.storage.database_url import DatabaseUrl


@dataclass
class Privacy:
    store: KeyStore
    keys: DataKeys
    sealer: Sealer

    def close(self) -> None:
        self.store.close()


def fields_of(channels: Mapping[str, Channel]) -> FieldsOf:
    """A channel's declared personal fields; every free-text field for one not installed."""

    def fields(name: str) -> tuple[str, ...]:
        channel = channels.get(name)
        return (channel.personal_data if channel else EVERY_FREE_TEXT).fields

    return fields


def open_privacy(settings: Settings, channels: Mapping[str, Channel]) -> Privacy:
    """The key store beside the event store, checked before anything is served."""
    store = open_key_store(settings)
    try:
        secret = settings.master_key.get_secret_value() if settings.master_key else None
        master = master_key(secret, settings.master_key_path, fresh_store=store.is_new())
        keys = DataKeys(store, master)
    except BaseException:
        store.close()
        raise
    return Privacy(store, keys, Sealer(keys, fields_of(channels)))


def open_key_store(settings: Settings) -> SqlKeyStore:
    """PostgreSQL's with a database URL (every process shares it), else `keys.sqlite`.

    A missing key store beside an event store that holds sealed events is refused; beside one
    that holds none (a hub from before sealing, or partners only) a new one is made.
    """
    if settings.database_url is not None:
        return PostgresKeyStore(DatabaseUrl.parse(settings.database_url))
    if not settings.keys_db.exists() and _sealed_events_in(settings.events_db):
        raise KeyStoreCorruptError(
            f"the event store {settings.events_db} holds sealed events but its key store"
            f" {settings.keys_db} is gone: restore it from a backup (a new one would open nothing)"
        )
    return SqliteKeyStore(settings.keys_db)


def _sealed_events_in(path: Path) -> bool:
    if not path.exists():
        return False
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        try:
            row = conn.execute(
                f"SELECT 1 FROM {EVENTS_TABLE} WHERE instr(state, ?) > 0 LIMIT 1", (SEALED_MARK,)
            ).fetchone()
        except sqlite3.OperationalError:  # no events table yet
            return False
    return row is not None
