"""The event store: eventsourcing's `Application` on a SQLite file (WAL); the source of truth."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar
from uuid import UUID

from eventsourcing.application import Application

from domain.alert import ALERT_EVENTS


class EventStore(Application[UUID]):
    """Holds every alert and message receipt as events, with a global notification log."""

    name = "AlertHub"  # pinned: it is the tracking key and the env prefix (tech.md §6.2)
    env: ClassVar[dict[str, str]] = {}

    @property
    def alert_topics(self) -> tuple[str, ...]:
        """Stored topics of alert events, to follow the log without the receipts."""
        return tuple(f"{cls.__module__}:{cls.__qualname__}" for cls in ALERT_EVENTS)

    def max_position(self) -> int:
        return self.recorder.max_notification_id() or 0


def open_sqlite_store(path: Path) -> EventStore:
    """An event store on a SQLite file; the file and its folder are created on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return EventStore(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    )
