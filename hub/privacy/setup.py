"""Opening the privacy parts at start: key store, master key, data keys and the sealer.

The checks here are why a misconfigured hub refuses to start rather than half-works: a key store
that is damaged, missing beside an event store that has events, or opened with another master key
would either serve ciphertext or mint keys nobody can use later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from adapters.base import EVERY_FREE_TEXT, Channel
from hub.privacy.keys import DataKeys, master_key
from hub.privacy.keystore import KeyStore, KeyStoreCorruptError, SqliteKeyStore
from hub.privacy.sealing import FieldsOf, Sealer
from hub.settings import Settings


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
    """The embedded (SQLite) key store beside the event store, checked before anything is served."""
    if settings.events_db.exists() and not settings.keys_db.exists():
        raise KeyStoreCorruptError(
            f"the event store {settings.events_db} exists but its key store {settings.keys_db}"
            " does not: restore the key store from a backup (a new one would open nothing)"
        )
    store = SqliteKeyStore(settings.keys_db)
    try:
        secret = settings.master_key.get_secret_value() if settings.master_key else None
        master = master_key(secret, settings.master_key_path, fresh_store=store.is_new())
        keys = DataKeys(store, master)
    except BaseException:
        store.close()
        raise
    return Privacy(store, keys, Sealer(keys, fields_of(channels)))
