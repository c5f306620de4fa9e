"""CPU the projector spends per event on the views with a page hook, page by page or one by one.

    python -m bench.page_views --events 4000 --pages 500 8 --rounds 3 [--views incidents places]

Fills a store with `--events` CAP alert events (alerts and their updates, as `bench.ladder`
does), then catches a fresh views file up with `Follower.catch_up()` and the projections named
by `--views` (alerts, incidents, places, views: the channel views; by default incidents and
places), at each page size: once with the projections as they are (a page in one pass) and once
behind an adapter that hides their page hook (event by event), back to back, `--rounds` times
in alternation. It prints the median CPU seconds of the process per event, the
same for a bare read of the stream at that page size (the decode both pay), and the ratio of
the projections' own share (catch-up minus read) between the two ways.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from adapters.base import discover_channels
from adapters.territory import keep_to_territories
from bench.messages import prefill_commands
from domain.lifetimes import NEVER
from geography import Geography
from hub.bootstrap import bootstrap
from hub.settings import load_settings
from hub.storage.store import open_sqlite_store
from hub.streaming.embedded import EmbeddedStream
from hub.streaming.follower import Follower
from projections.alerts import AlertsProjection
from projections.base import Projection
from projections.channel_views import ChannelViewsProjection
from projections.database import Connection, ViewDatabase
from projections.incidents import IncidentsProjection
from projections.places import PlacesProjection
from projections.stream import Event

BATCH = 2000


class EventByEvent:
    """A projection without its page hook: the runner applies it one event at a time."""

    def __init__(self, projection: Projection) -> None:
        self.inner = projection
        self.name, self.prefix, self.tables = projection.name, projection.prefix, projection.tables

    def create_tables(self, conn: Connection) -> None:
        self.inner.create_tables(conn)

    def apply(self, conn: Connection, event: Event) -> None:
        self.inner.apply(conn, event)


def fill(folder: Path, events: int) -> Path:
    settings = load_settings(data_dir=folder, run_projector=False, log_level="WARNING")
    hub = bootstrap(settings, configure_logs=True)
    try:
        filled = 0
        while filled < events:
            result = hub.service.handle(prefill_commands(min(BATCH, events - filled)))
            filled += sum(len(a.events) for a in result.accepted)
    finally:
        hub.close()
    return settings.events_db


def views(names: Sequence[str], geography: Geography, paged: bool) -> list[Projection]:
    build: dict[str, Callable[[], Projection]] = {
        "alerts": lambda: AlertsProjection("", NEVER),
        "incidents": lambda: IncidentsProjection("", NEVER),
        "places": lambda: PlacesProjection(geography),
        "views": lambda: ChannelViewsProjection(
            keep_to_territories(discover_channels(), {"NL": geography.in_netherlands})
        ),
    }
    found = [build[name]() for name in names]
    return found if paged else [EventByEvent(p) for p in found]


def cpu_per_event(store: Path, folder: Path, page: int, projections: Sequence[Projection]) -> float:
    stream = EmbeddedStream(open_sqlite_store(store))
    db = ViewDatabase(folder / "views.sqlite")
    follower = Follower(stream, db, projections, page_size=page)
    started = time.process_time()
    follower.catch_up()
    spent = time.process_time() - started
    db.close()
    return spent / sum(stream.head().values(), 1)


def read_per_event(store: Path, page: int) -> float:
    stream = EmbeddedStream(open_sqlite_store(store))
    started, at, count = time.process_time(), dict[int, int](), 0
    while records := stream.read(at, page):
        count += len(records)
        for record in records:
            at[record.partition] = record.position
    return (time.process_time() - started) / max(count, 1)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.page_views", description=__doc__)
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--pages", type=int, nargs="+", default=[500, 8])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--views",
        nargs="+",
        choices=["alerts", "incidents", "places", "views"],
        default=["incidents", "places"],
    )
    args = parser.parse_args()
    geography = Geography()
    with tempfile.TemporaryDirectory(prefix="alerthub-page-views-") as work:
        store = fill(Path(work) / "data", args.events)
        sys.stdout.write(
            f"events: {args.events}, views: {' '.join(args.views)},"
            f" load average: {os.getloadavg()}\n"
        )
        sys.stdout.write("page  read µs/ev  one by one µs/ev  page µs/ev  projections: page/one\n")
        for page in args.pages:
            runs: dict[bool, list[float]] = {True: [], False: []}
            reads = []
            for round_ in range(args.rounds):
                reads.append(read_per_event(store, page))
                for paged in (False, True):
                    folder = Path(work) / f"views-{page}-{round_}-{paged}"
                    folder.mkdir()
                    runs[paged].append(
                        cpu_per_event(store, folder, page, views(args.views, geography, paged))
                    )
            read = statistics.median(reads)
            one, many = statistics.median(runs[False]), statistics.median(runs[True])
            share = (many - read) / (one - read)
            sys.stdout.write(
                f"{page:4d}  {read * 1e6:11.0f}  {one * 1e6:16.0f}  {many * 1e6:10.0f}"
                f"  {share:.2f}\n"
            )
    sys.stdout.write(f"load average after: {os.getloadavg()}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
