"""What a projection is: a named view with its own tables that folds events in, exactly once.

The runner hands a projection pages of stream records; the rows the projection writes and its new
checkpoint commit in one transaction, so after any crash a view is exactly as of its checkpoint.
Records at or before the checkpoint are skipped (the stream is at-least-once). An event the
projection cannot apply is set aside in `projection_deadletters` with the error, inside the same
transaction, and the view keeps going: one poisoned event never stops a view.

A projection may also fold a whole page at once (`PageProjection.apply_page`: one read and one
write per alert instead of one per event). The page is tried inside a savepoint; if it raises,
the savepoint is rolled back and the page is applied event by event, so a poisoned event still
lands in `projection_deadletters` and the view comes out exactly as the per-event path makes it.

Tables are named through `prefix`, so a fresh copy can be built beside the live one and swapped
in (`projections.rebuild`).
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from typing import Protocol

import structlog

from projections.database import Connection, ViewDatabase
from projections.stream import Event, StreamRecord

log = structlog.get_logger(__name__)

DEADLETTER_TABLE = (
    "CREATE TABLE IF NOT EXISTS projection_deadletters (projection TEXT NOT NULL,"
    " partition BIGINT NOT NULL, position BIGINT NOT NULL, event_type TEXT NOT NULL,"
    " alert_id TEXT NOT NULL, version INTEGER NOT NULL, error TEXT NOT NULL,"
    " PRIMARY KEY (projection, partition, position))"
)


class Projection(Protocol):
    name: str  # includes the prefix: positions and dead letters are kept per name
    prefix: str
    tables: tuple[str, ...]  # unprefixed names of the tables it owns

    def create_tables(self, conn: Connection) -> None:
        """Create the view's tables and indexes if they do not exist (idempotent)."""
        ...

    def apply(self, conn: Connection, event: Event) -> None:
        """Fold one event into the view's rows, inside the caller's transaction."""
        ...


class PageProjection(Projection, Protocol):
    """A projection that can also fold a page of events in one pass (optional)."""

    def apply_page(self, conn: Connection, events: Sequence[Event]) -> None:
        """Fold the events, in order, into the view's rows inside the caller's transaction.

        Must leave the rows exactly as `apply` of each event in turn would, and raise (anything)
        rather than half-apply: the caller then rolls the page back and applies it per event.
        """
        ...


def install(db: ViewDatabase, projection: Projection, stream: str | None = None) -> None:
    """Create the projection's tables; with `stream`, bind its checkpoint to that stream.

    A checkpoint counted in another stream (the data folder moved from the embedded log to
    Kafka, say) means nothing here: the view is emptied and rebuilt from the start of `stream`,
    never left to skip the events its foreign position seems to cover.
    """
    with db.schema_transaction() as conn:
        conn.execute(DEADLETTER_TABLE)
        if stream is not None:
            counted = db.stream_of(projection.name, conn)
            if counted != stream:
                # Unbound (a new database, or one from before checkpoints were bound, whose
                # tables may have another shape): dropped before anything is created. Said only
                # when there was something to drop: a new one is quiet (CLIs print JSON on stdout).
                if counted is not None or db.checkpoint(projection.name, conn):
                    log.warning(
                        "projection.rebuilt_for_new_stream",
                        projection=projection.name,
                        was=counted or "unknown",
                        now=stream,
                    )
                reset(conn, db, projection)
            db.bind(conn, projection.name, stream)
        projection.create_tables(conn)


def reset(conn: Connection, db: ViewDatabase, projection: Projection) -> None:
    """Drop the projection's tables, positions and dead letters (inside the caller's txn)."""
    for table in projection.tables:
        conn.execute(f"DROP TABLE IF EXISTS {projection.prefix}{table}")
    db.forget(conn, projection.name)
    conn.execute("DELETE FROM projection_deadletters WHERE projection=?", (projection.name,))


def apply_page(db: ViewDatabase, projection: Projection, page: Sequence[StreamRecord]) -> int:
    """Apply the records past the projection's checkpoint; returns how many were applied."""
    with db.transaction() as conn:
        return apply_records(conn, db, projection, page)


def apply_records(
    conn: Connection, db: ViewDatabase, projection: Projection, page: Sequence[StreamRecord]
) -> int:
    """`apply_page` inside the caller's transaction (a rebuild's final catch-up needs that)."""
    checkpoint = db.checkpoint(projection.name, conn)
    fresh = [r for r in page if r.position > checkpoint.get(r.partition, -1)]
    if fresh and not _applied_as_page(conn, projection, fresh):
        for record in fresh:
            _apply_one(conn, projection, record)
    last: dict[int, int] = {}
    for record in fresh:
        last[record.partition] = record.position
    for partition, position in last.items():
        db.advance(conn, projection.name, partition, position)
    return len(fresh)


def _applied_as_page(
    conn: Connection, projection: Projection, fresh: Sequence[StreamRecord]
) -> bool:
    """Fold `fresh` in one pass if the projection can; False (nothing written) if it cannot
    or the page raised, and the caller goes event by event."""
    # Asked by attribute: `isinstance` of a runtime-checkable Protocol walks the protocol's
    # members on every call, and this runs for every view on every page.
    fold_page = getattr(projection, "apply_page", None)
    if fold_page is None:
        return False
    conn.execute("SAVEPOINT page")
    try:
        fold_page(conn, [record.event for record in fresh])
    except Exception as exc:
        conn.execute("ROLLBACK TO SAVEPOINT page")
        conn.execute("RELEASE SAVEPOINT page")
        log.warning(
            "projection.page_applied_per_event",
            projection=projection.name,
            first=fresh[0].position,
            last=fresh[-1].position,
            error=str(exc)[:200],
        )
        return False
    conn.execute("RELEASE SAVEPOINT page")
    return True


def _apply_one(conn: Connection, projection: Projection, record: StreamRecord) -> None:
    conn.execute("SAVEPOINT event")
    try:
        projection.apply(conn, record.event)
    except Exception as exc:
        conn.execute("ROLLBACK TO SAVEPOINT event")
        _set_aside(conn, projection, record, exc)
    conn.execute("RELEASE SAVEPOINT event")


def _set_aside(
    conn: Connection, projection: Projection, record: StreamRecord, exc: Exception
) -> None:
    event = record.event
    error = "".join(traceback.format_exception_only(exc)).strip()[:4000]
    conn.execute(
        "INSERT INTO projection_deadletters VALUES (?,?,?,?,?,?,?)"
        " ON CONFLICT (projection, partition, position) DO UPDATE SET"
        " event_type=excluded.event_type, alert_id=excluded.alert_id,"
        " version=excluded.version, error=excluded.error",
        (
            projection.name,
            record.partition,
            record.position,
            type(event).__name__,
            str(event.originator_id),
            event.originator_version,
            error,
        ),
    )
    log.error(
        "projection.event_set_aside",
        projection=projection.name,
        partition=record.partition,
        position=record.position,
        error=error,
    )


def deadletters(db: ViewDatabase, name: str) -> list[dict[str, object]]:
    rows = db.connect().execute(
        "SELECT * FROM projection_deadletters WHERE projection=? ORDER BY partition, position",
        (name,),
    )
    return [dict(row) for row in rows]
