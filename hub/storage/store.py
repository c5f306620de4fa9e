"""The event store: eventsourcing's `Application`, the source of truth.

Embedded it lives in a SQLite file (WAL); with a database URL it uses eventsourcing's PostgreSQL
persistence, so several processes write one store (notification ids still commit in order).

With a `Sealer` (the hub always gives one), alert events are stored with their personal fields
encrypted under the alert's key (`hub.privacy.sealing`); without one (benchmarks reading a copy),
they are read as stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from copy import deepcopy
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.application import Application, Cache, Repository
from eventsourcing.persistence import EventStore as Events
from eventsourcing.persistence import JSONTranscoder, Mapper, PersistenceError, StoredEvent

from domain.alert import ALERT_EVENTS
from domain.errors import UnavailableError
from domain.feed import ChannelFeed
from hub.privacy.sealing import Sealer, SealingMapper
from hub.settings import Settings
from hub.storage.database_url import DatabaseUrl
from hub.storage.postgres import CONNECT_TIMEOUT_S, PostgresViewDatabase, probe, schema_lock
from projections.database import ViewDatabase


def mutate_each(aggregate: Any, events: Iterable[Any]) -> Any:
    """An aggregate from its events, as eventsourcing's own projector does, less its per-event
    `isinstance` check against a runtime-checkable Protocol, which costs more than the mutation
    (a third of the time to load a channel's feed of a hundred events)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class FeedCache(Cache[UUID, Any]):
    """Keeps channel feeds only: an alert is loaded by the few messages about it, a channel's
    feed by every threaded message of the channel, and its open threads make it the one
    aggregate whose loading grows with the data."""

    def put(self, key: UUID, value: Any) -> None:
        if isinstance(value, ChannelFeed):
            super().put(key, value)


class EventRepository(Repository[UUID]):
    """eventsourcing's repository, reconstructing with `mutate_each` unless told otherwise.

    Channel feeds are cached and brought up to date from the store on every `get` (the events
    recorded since, by this process or another: eventsourcing's fast-forward), so a decision
    never acts on a stale feed and a write on one still meets the store's version check. Each
    `get` hands out a copy: a decision that fails must not change the cached feed.
    """

    def __init__(self, event_store: Events[UUID], snapshot_store: Events[UUID] | None) -> None:
        super().__init__(event_store, snapshot_store=snapshot_store, cache_maxsize=0)
        self.cache = FeedCache()

    def get(self, aggregate_id: UUID, **options: Any) -> Any:
        found = super().get(
            aggregate_id, **{"projector_func": mutate_each, "deepcopy_from_cache": False, **options}
        )
        return deepcopy(found) if isinstance(found, ChannelFeed) else found


class EventStore(Application[UUID]):
    """Holds every alert and message receipt as events, with a global notification log."""

    name = "AlertHub"  # pinned: it is the tracking key and the env prefix
    env: ClassVar[dict[str, str]] = {}
    # A channel's feed lives as long as the channel: a snapshot every 100 events keeps loading it
    # (once per feed snapshot ingested) short however long its history grows.
    snapshotting_intervals = {ChannelFeed: 100}  # noqa: RUF012 - the base class declares it
    # The database beside the events (the same file or database), for what counts in this
    # store's log: its id and the relay's position. Set by the `open_*_store` functions.
    home: ViewDatabase

    def __init__(self, env: dict[str, str], sealer: Sealer | None = None) -> None:
        self._sealer = sealer
        self._alert_classes = {f"{cls.__module__}:{cls.__qualname__}": cls for cls in ALERT_EVENTS}
        super().__init__(env=env)

    def construct_repository(self) -> Repository[UUID]:
        return EventRepository(self.events, self.snapshots)

    def construct_mapper(self) -> Mapper[UUID]:
        if self._sealer is None:
            return super().construct_mapper()
        return SealingMapper(self.construct_transcoder(), self._sealer)

    def to_sealed_event(self, stored: StoredEvent) -> Any:
        """An event as stored: personal fields still sealed (what may leave the hub)."""
        if isinstance(self.mapper, SealingMapper):
            return self.mapper.to_sealed_event(stored)
        return self.mapper.to_domain_event(stored)

    def sealed_state(self, stored: StoredEvent) -> tuple[type[Any], dict[str, Any]] | None:
        """An alert event's class and attributes as stored (sealed), read from its JSON alone.

        What the relay encodes: the attributes `to_sealed_event` gives, without the mapper's
        per-object hook (a Python call for every JSON object) and without building the event.
        Only for the plain case: JSON with no cipher or compression, at its class's current
        version, whose one typed value is the timestamp; anything else answers None, and the
        caller takes `to_sealed_event`.
        """
        mapper, data = self.mapper, stored.state
        if mapper.cipher or mapper.compressor or not isinstance(mapper.transcoder, JSONTranscoder):
            return None
        cls = self._alert_classes.get(stored.topic)
        # a typed value is a `{"_type_": ..., "_data_": ...}` object; inside a JSON string the
        # quotes are escaped, so this counts only keys (or a value that is exactly "_type_")
        if cls is None or not isinstance(data, bytes) or data.count(b'"_type_"') != 1:
            return None
        state = json.loads(data)
        timestamp = state.get("timestamp")
        if not isinstance(timestamp, dict) or timestamp.keys() != {"_type_", "_data_"}:
            return None
        if timestamp["_type_"] != "datetime_iso":
            return None
        if state.pop("class_version", 1) != getattr(cls, "class_version", 1):
            return None  # an older version: its upcasting is the mapper's
        state["timestamp"] = datetime.fromisoformat(timestamp["_data_"])
        return cls, state

    @property
    def alert_topics(self) -> tuple[str, ...]:
        """Stored topics of alert events, to follow the log without the receipts."""
        return tuple(self._alert_classes)

    def max_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def store_id(self) -> str:
        """This store's id: random, given on first use, kept beside the events.

        A view's position in the embedded stream is a notification id of one particular store;
        the id says which, so positions counted in another store (a replaced file, a restored
        backup of another hub) are never mistaken for positions in this one. It is kept out of
        the notification log: an event there would be a position no view ever applies.
        """
        with self.home.schema_transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS store_identity (one INTEGER PRIMARY KEY"
                " CHECK (one = 1), store_id TEXT NOT NULL)"
            )
            conn.execute(
                "INSERT INTO store_identity VALUES (1, ?) ON CONFLICT (one) DO NOTHING",
                (uuid4().hex,),
            )
            return str(conn.execute("SELECT store_id FROM store_identity").fetchone()[0])

    def close(self) -> None:
        self.home.close()
        super().close()


def open_sqlite_store(path: Path, sealer: Sealer | None = None) -> EventStore:
    """An event store on a SQLite file; the file and its folder are created on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    store = EventStore(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "30",
        },
        sealer=sealer,
    )
    store.home = ViewDatabase(path, disposable=False)  # the events' file: never moved aside
    return store


def open_postgres_store(url: DatabaseUrl, sealer: Sealer | None = None) -> EventStore:
    """An event store in a PostgreSQL database (tables created on first use).

    Connections are checked before use, so a database that restarted is reconnected to; an
    unreachable one fails within seconds, naming the URL (never its password). A write while the
    database is gone fails after eventsourcing's retries (about 20 s with this connect timeout).
    """
    probe(url)  # libpq's own reason (refused, auth failed...) rather than a pool timeout
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.dbname,
        "POSTGRES_HOST": url.host,
        "POSTGRES_PORT": str(url.port),
        "POSTGRES_USER": url.user,
        "POSTGRES_PASSWORD": url.password,
        "POSTGRES_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT_S),
        "POSTGRES_PRE_PING": "y",
        "POSTGRES_POOL_SIZE": "2",
        "POSTGRES_MAX_OVERFLOW": "8",
    }
    try:
        with schema_lock(url):
            store = EventStore(env=env, sealer=sealer)
    except PersistenceError as exc:
        raise UnavailableError(
            f"cannot open the event store at {url}: {exc}", reason="database-unreachable"
        ) from exc
    store.home = PostgresViewDatabase(url)
    return store


def open_store(settings: Settings, sealer: Sealer | None = None) -> EventStore:
    """The store `settings` ask for: PostgreSQL with a database URL, else the SQLite file."""
    if settings.database_url is None:
        return open_sqlite_store(settings.events_db, sealer)
    return open_postgres_store(DatabaseUrl.parse(settings.database_url), sealer)
