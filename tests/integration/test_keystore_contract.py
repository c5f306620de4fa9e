"""The key store's contract, on a SQLite file and on PostgreSQL: the same semantics on both.

Plus what only a shared database brings: every process of a hub on PostgreSQL seals and opens
with the same keys, and must be given the same master key.
"""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from hub.privacy.keys import DataKeys
from hub.privacy.keystore import KeyStoreCorruptError, MasterKeyError, SqliteKeyStore, SqlKeyStore
from hub.privacy.keystore_postgres import PostgresKeyStore
from hub.storage.database_url import DatabaseUrl
from projections.alerts import get_alert
from tests.conftest import HubFactory
from tests.privacy_helpers import burgernet_action, files_holding, unique_person

AT = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
Opener = Callable[[], SqlKeyStore]


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens the key store of one place (again: a restart); closes all at the end."""
    opened: list[SqlKeyStore] = []
    if request.param == "sqlite":
        path = tmp_path / "keys.sqlite"

        def opener() -> SqlKeyStore:
            return SqliteKeyStore(path)
    else:
        url = DatabaseUrl.parse(request.getfixturevalue("database_url"))

        def opener() -> SqlKeyStore:
            return PostgresKeyStore(url)

    def tracked() -> SqlKeyStore:
        opened.append(opener())
        return opened[-1]

    yield tracked
    for store in opened:
        store.close()


def test_a_new_store_takes_the_first_check_value_only(open_store: Opener) -> None:
    store = open_store()
    assert store.is_new()
    assert store.check_value() is None
    store.set_check_value(b"first")
    store.set_check_value(b"second")  # another process starting at once: the first one stays
    assert not store.is_new()
    assert open_store().check_value() == b"first"


def test_keys_are_kept_once_and_survive_a_restart(open_store: Opener) -> None:
    store = open_store()
    assert store.get("a") is None
    kept = store.add("a", b"wrapped-a")
    assert (kept.wrapped, kept.destroyed_at) == (b"wrapped-a", None)
    assert store.add("a", b"other").wrapped == b"wrapped-a"  # the first writer wins
    assert open_store().get("a") == kept


def test_concurrent_writers_of_one_key_agree(open_store: Opener) -> None:
    store = open_store()
    seen: list[bytes | None] = []

    def add(n: int) -> None:
        seen.append(store.add("shared", f"wrapped-{n}".encode()).wrapped)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 6
    assert len(set(seen)) == 1


def test_a_destroyed_key_leaves_a_tombstone_and_stays_destroyed(open_store: Opener) -> None:
    store = open_store()
    store.add("a", b"wrapped-a")
    assert store.destroy("a", AT) is True
    assert store.destroy("a", AT) is False  # destroyed already
    gone = store.get("a")
    assert gone is not None
    assert (gone.wrapped, gone.destroyed_at) == (None, AT)
    assert store.add("a", b"new").wrapped is None  # never minted again
    assert store.destroy("never-made", AT) is True  # known from now on as destroyed
    assert open_store().get("never-made") == gone.__class__("never-made", None, AT)


def test_another_master_key_is_refused(open_store: Opener) -> None:
    DataKeys(open_store(), secrets.token_bytes(32))
    with pytest.raises(MasterKeyError, match="does not open"):
        DataKeys(open_store(), secrets.token_bytes(32))


def test_a_destroyed_key_leaves_no_byte_in_the_sqlite_files(tmp_path: Path) -> None:
    store = SqliteKeyStore(tmp_path / "keys.sqlite")
    wrapped = secrets.token_bytes(40)
    store.add("a", wrapped)
    store.destroy("a", AT)
    assert not [p for p in tmp_path.iterdir() if wrapped in p.read_bytes()]
    store.close()


@pytest.fixture
def on_postgres(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}


def test_hubs_on_one_database_share_keys_given_one_master_key(
    make_hub: HubFactory, on_postgres: dict[str, Any], tmp_path: Path
) -> None:
    """Two processes with their own data dirs (an API and a projector, say) on one database."""
    master = base64.b64encode(secrets.token_bytes(32)).decode()
    first = make_hub(**on_postgres, master_key=master)
    person = unique_person()
    result = first.service.ingest("burgernet", burgernet_action(person), "application/json")
    alert_id = result.accepted[0].alert_id
    elsewhere = tmp_path / "elsewhere"
    with pytest.raises(MasterKeyError, match="no master key"):
        make_hub(**on_postgres, data_dir=elsewhere)
    second = make_hub(**on_postgres, data_dir=elsewhere, master_key=master)
    second.follower.catch_up()
    state = get_alert(second.views.connect(), alert_id)
    assert state is not None
    assert person in state.model_dump_json()
    assert files_holding(elsewhere, person) == []  # its keys are in the database, not here


def test_a_lost_key_store_in_postgres_is_never_recreated(
    make_hub: HubFactory, on_postgres: dict[str, Any], database_url: str
) -> None:
    hub = make_hub(**on_postgres)
    hub.service.ingest("burgernet", burgernet_action(unique_person()), "application/json")
    hub.close()
    with psycopg.connect(DatabaseUrl.parse(database_url).conninfo(), autocommit=True) as conn:
        conn.execute("DROP TABLE alerthub_data_keys")
    with pytest.raises(KeyStoreCorruptError, match="lacks its table"):
        make_hub(**on_postgres)
    with psycopg.connect(DatabaseUrl.parse(database_url).conninfo(), autocommit=True) as conn:
        conn.execute("DROP TABLE alerthub_keystore_meta")
    with pytest.raises(KeyStoreCorruptError, match="holds sealed events"):
        make_hub(**on_postgres)
