"""The floor under ingest: a bare eventsourcing Application appending to SQLite, one save each.

Each hub message ends in one `Application.save()` (one fsync'd transaction), so the rate of
bare saves of a trivial aggregate on the same disk is the ceiling the hub's ingest can approach;
the ratio says how much of a message's cost is the hub's own (HTTP, parsing, decisions, views).
"""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.core import Context, Result, note, timed


class Tick(Aggregate):
    """The smallest aggregate: one created event with one field."""

    @event("Created")
    def __init__(self, number: int) -> None:
        self.number = number


class BareApp(Application[UUID]):
    name = "BenchBare"


def append_rate(folder: Path, count: int) -> float:
    """Saves per second, one new aggregate per `save()`, on a fresh SQLite file (WAL)."""
    app = BareApp(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(folder / "bare.db")}
    )
    try:
        for number in range(50):  # warm-up: connection, tables, first pages
            app.save(Tick(number))
        with timed() as wall:
            for number in range(count):
                app.save(Tick(number))
        return count / wall[0]
    finally:
        app.close()


def raw_append_rate(ctx: Context) -> float:
    """Measured once per run, shared by the ingest ratio and the `appends` benchmark."""

    def measure() -> float:
        note(f"bare eventsourcing appends x{ctx.sizes.appends}")
        return append_rate(ctx.folder("appends"), ctx.sizes.appends)

    rate: float = ctx.once(("appends",), measure)
    return rate


def run(ctx: Context) -> list[Result]:
    rate = raw_append_rate(ctx)
    conditions = {
        "saves": ctx.sizes.appends,
        "store": "eventsourcing 9.5 SQLite file (WAL), one save() per command, 1 thread",
    }
    return [
        Result("appends: bare eventsourcing save()", rate, "saves/s", "higher", None, conditions)
    ]
