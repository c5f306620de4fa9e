"""Reads bounded by the page: list latencies at two history sizes (10k and 100k alerts).

A recent set of alerts (a few hundred active, incidents formed by shared CAP `incidents`
tokens, updates and cancels) is recorded through the real hub and its projections. History is
then grown to each size by copying those rows in SQL as older generations (alert ids and
incident ids suffixed, every time shifted years back, so copies are ended or expired history):
the same row shapes, at a cost of seconds instead of hours of ingest. Each figure is the median
latency of one in-process `ReadModel` call (the query and the documents a route returns, no
HTTP) over repeated calls on a warm cache: a flat read costs the same at 10k and at 100k.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.base import discover_channels
from bench.core import Context, Result, note
from bench.messages import _cap_template, serial
from domain.commands import Command, EndAlert, Outcome, command_for
from domain.model import AlertMessage, MsgType
from domain.state import Lifecycle
from hub.bootstrap import bootstrap
from hub.settings import load_settings
from projections.alerts import AlertQuery
from projections.database import ViewDatabase
from projections.queries import ReadModel

SIZES = {"full": (10_000, 100_000), "quick": (10_000, 100_000), "smoke": (600, 1200)}
BASE = {"full": 1000, "quick": 1000, "smoke": 200}
REPEATS = {"full": 60, "quick": 30, "smoke": 3}
YEARS_PER_GENERATION = 2  # a copy's times move this many years back per generation

# Every table of the live views, the columns holding an alert or incident id (suffixed) and the
# columns holding a time (shifted back).
COPIED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "alerts": (("alert_id",), ("expires_at", "sent")),
    "alert_versions": (("alert_id",), ("valid_from", "valid_to", "expires_at", "sent")),
    "alert_messages": (("alert_id",), ("sent",)),
    "alert_channels": (("alert_id",), ("valid_from",)),
    "alert_geocodes": (("alert_id",), ("valid_from", "valid_to")),
    "view_states": (("alert_id",), ()),
    "view_messages": (("alert_id",), ("sent",)),
    "view_versions": (("alert_id",), ()),
    "channel_views": (("alert_id",), ("valid_from", "valid_to", "expires_at", "sent")),
    "incident_states": (("alert_id",), ()),
    "incident_links": (("link", "incident_id"), ()),
    "incidents": (("incident_id", "merged_into"), ("opened_at", "merged_at", "open_until")),
    "incident_members": (
        ("alert_id", "incident_id"),
        ("valid_from", "valid_to", "expires_at", "recorded_at"),
    ),
}


def _record_recent(ctx: Context, base: int) -> tuple[Path, datetime]:
    """`base` alerts through the hub: a fifth active, incidents of five, updates and cancels."""
    folder = ctx.folder("reads-base")
    hub = bootstrap(load_settings(data_dir=folder, log_level="WARNING"), configure_logs=True)
    template, now = _cap_template(), datetime.now(UTC).replace(microsecond=0)
    middle = now
    try:
        for index in range(base):
            number = serial()
            sent = now - timedelta(minutes=base - index)
            expires = now + timedelta(days=300) if index % 5 == 0 else sent + timedelta(hours=1)
            info = template.info[0].model_copy(update={"expires": expires})
            first = template.model_copy(
                update={
                    "identifier": f"READ-{number}",
                    "sent": sent,
                    "incidents": [f"bench-{index // 5}"],
                    "info": [info],
                }
            )
            commands = [command_for("cap", first), *_follow_up(first, index)]
            for command in commands:
                hub.service.handle([command])
            if index == base // 2:
                middle = datetime.now(UTC)
        hub.follower.catch_up()
    finally:
        hub.close()
    return folder / "views.sqlite", middle


def _follow_up(first: AlertMessage, index: int) -> list[Command]:
    """Every third alert gets a second message: an Update, or (every sixth) a Cancel."""
    if index % 3:
        return []
    update = {
        "identifier": f"{first.identifier}-u",
        "sent": first.sent + timedelta(seconds=30),
        "references": [first.ref],
    }
    if index % 2:
        cancel = first.model_copy(update=update | {"msg_type": MsgType.CANCEL})
        return [EndAlert(channel="cap", message=cancel, outcome=Outcome.CANCELLED)]
    return [command_for("cap", first.model_copy(update=update | {"msg_type": MsgType.UPDATE}))]


def _grow(path: Path, generations: int) -> None:
    """Copy the recorded rows `generations` times as older history (see the module doc)."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            for table, (ids, times) in COPIED.items():
                columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
                chosen = [_copy(c, ids, times) for c in columns]
                conn.execute(
                    "WITH RECURSIVE g(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM g WHERE k < ?)"
                    f" INSERT INTO {table} ({','.join(columns)})"
                    f" SELECT {','.join(chosen)} FROM {table} CROSS JOIN g",
                    (generations,),
                )
        conn.execute("ANALYZE")
    finally:
        conn.close()


def _copy(column: str, ids: tuple[str, ...], times: tuple[str, ...]) -> str:
    """The column of generation `g.k`: ids suffixed `~k`, times moved back k generations."""
    if column in ids:
        return f"CASE WHEN {column} IS NULL THEN NULL ELSE {column} || '~' || g.k END"
    if column in times:
        return (
            f"CASE WHEN {column} IS NULL THEN NULL ELSE printf('%04d',"
            f" CAST(substr({column}, 1, 4) AS INTEGER) - {YEARS_PER_GENERATION} * g.k)"
            f" || substr({column}, 5) END"
        )
    return column


def _median_ms(call: Callable[[], Any], repeats: int) -> float:
    call()  # warm: the figure is a page read from a warm cache, not a cold disk
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _deep_cursor(reads: ReadModel, pages: int) -> str | None:
    cursor = None
    for _ in range(pages):
        cursor = reads.alerts(AlertQuery(lifecycle=None, cursor=cursor)).next
    return cursor


def _queries(reads: ReadModel, middle: datetime) -> dict[str, Callable[[], Any]]:
    deep = _deep_cursor(reads, 5)
    return {
        "/v1/incidents": lambda: reads.incidents(Lifecycle.ACTIVE),
        "/v1/incidents?lifecycle=all": lambda: reads.incidents(None),
        "/v1/alerts": lambda: reads.alerts(AlertQuery()),
        "/v1/alerts?lifecycle=all, 6th page": lambda: reads.alerts(
            AlertQuery(lifecycle=None, cursor=deep)
        ),
        "/v1/alerts?as_of=T&lifecycle=all": lambda: reads.alerts(
            AlertQuery(lifecycle=None), as_of=middle
        ),
        "/v1/incidents?as_of=T&lifecycle=all": lambda: reads.incidents(None, as_of=middle),
        "/v1/views/cap": lambda: reads.view("cap", Lifecycle.ACTIVE),
        "/v1/views/cap?as_of=T&lifecycle=all": lambda: reads.view("cap", None, as_of=middle),
    }


def run(ctx: Context) -> list[Result]:
    mode = ctx.sizes.mode
    base = BASE[mode]
    note(f"reads: recording {base} recent alerts through the hub")
    recorded, middle = _record_recent(ctx, base)
    results = []
    for size in SIZES[mode]:
        path = ctx.folder(f"reads-{size}") / "views.sqlite"
        shutil.copyfile(recorded, path)
        note(f"reads: growing history to {size:,} alerts")
        _grow(path, size // base - 1)
        views = ViewDatabase(path)
        try:
            reads = ReadModel(views, discover_channels())
            alerts = views.connect().execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
            for name, call in _queries(reads, middle).items():
                note(f"reads: {name} at {size:,}")
                results.append(
                    Result(
                        f"reads {name} @ {size:,} alerts",
                        _median_ms(call, REPEATS[mode]),
                        "ms",
                        "lower",
                        conditions={
                            "alerts": alerts,
                            "recent_alerts": base,
                            "page": 100,
                            "repeats": REPEATS[mode],
                            "statistic": "median",
                            "call": "in-process ReadModel, SQLite views file, warm cache",
                        },
                    )
                )
        finally:
            views.close()
    return results
