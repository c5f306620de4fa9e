"""Rebuild a view without downtime: build a fresh copy beside the live one, then switch.

The copy (tables prefixed `rebuild__`) is filled from the start of the stream while the live view
keeps serving and following. The switch is one transaction: it applies what arrived
meanwhile, drops the live tables, renames the copy into place and moves the checkpoint over, so
readers see either the old view or the new one, never a half-built one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from projections.base import Projection, apply_page, apply_records, install, reset
from projections.database import Connection, ViewDatabase
from projections.stream import EventStream, lag

REBUILD_PREFIX = "rebuild__"
Progress = Callable[[int, int], None]  # (applied so far, still behind)


@dataclass(frozen=True)
class RebuildReport:
    name: str
    applied: int
    seconds: float
    checkpoint: dict[int, int]


def rebuild(
    db: ViewDatabase,
    stream: EventStream,
    make: Callable[[str], Projection],
    *,
    page_size: int = 1000,
    progress: Progress | None = None,
) -> RebuildReport:
    """Rebuild the projection `make("")` from the whole stream; returns what was done."""
    started = time.monotonic()
    live, fresh = make(""), make(REBUILD_PREFIX)
    install(db, fresh)
    with db.transaction() as conn:
        reset(conn, db, fresh)  # what an interrupted rebuild left behind
    install(db, fresh)
    applied = 0
    while page := stream.read(db.checkpoint(fresh.name), page_size):
        applied += apply_page(db, fresh, page)
        if progress:
            progress(applied, lag(stream.head(), db.checkpoint(fresh.name)))
    with db.transaction() as conn:
        while page := stream.read(db.checkpoint(fresh.name, conn), page_size):
            applied += apply_records(conn, db, fresh, page)
        _switch(conn, db, live, fresh)
        db.bind(conn, live.name, stream.identity)
    db.scrub()  # the dropped tables' pages are zeroed; their old images leave the WAL too
    return RebuildReport(live.name, applied, time.monotonic() - started, db.checkpoint(live.name))


def _switch(conn: Connection, db: ViewDatabase, live: Projection, fresh: Projection) -> None:
    for table in live.tables:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(f"ALTER TABLE {fresh.prefix}{table} RENAME TO {table}")
    db.adopt_indexes(conn, fresh.prefix)
    live.create_tables(conn)  # the live-named indexes, where the engine could not rename them
    for table, column in (("positions", "name"), ("projection_deadletters", "projection")):
        conn.execute(f"DELETE FROM {table} WHERE {column}=?", (live.name,))
        conn.execute(f"UPDATE {table} SET {column}=? WHERE {column}=?", (live.name, fresh.name))
