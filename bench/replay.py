"""Replay / rebuild: events/s folding the alerts projection into a fresh views file, and memory.

Every replay runs in a child process (`bench.replay_child`) so its ru_maxrss is its own. From
Kafka it reads the topic the relay benchmark filled, and is compared with a bare KafkaConsumer +
fastavro decode of the same topic. The views as shipped have no index on `alert_id` in
`alert_channels`/`alert_geocodes`, so each applied event scans both tables: a rebuild gets
slower with every row and cannot finish at 1M events, hence a time budget (`complete: false`
in the conditions) for the as-shipped replay, and a second, complete replay with the two
indexes added by the benchmark (the proposed fix), which also gives the peak-memory figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.core import ROOT, Context, Result, note
from bench.ladder import ladder
from bench.relay import relay_run
from hub.streaming.follower import CATCH_UP_GROWTH
from projections.alerts import AlertsProjection
from projections.base import install
from projections.database import ViewDatabase


@dataclass(frozen=True)
class Replay:
    events: int
    seconds: float
    complete: bool
    maxrss_kib: int
    views: Path | None

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    @property
    def rss_mib(self) -> float:
        return self.maxrss_kib / 1024


def child(
    ctx: Context, mode: str, size: int, *, index: bool = False, budget: float | None = None
) -> Replay:
    """One replay of `size` events in a child process (memoised: each runs once per run)."""

    def measure() -> Replay:
        args = [mode, "--expected", str(size)]
        views: Path | None = None
        if mode == "bare-embedded":
            args += ["--events-db", str(ladder(ctx).at(size).path)]
        elif mode == "embedded":
            views = ctx.folder(f"replay-{mode}-{size}") / "views.sqlite"
            args += ["--events-db", str(ladder(ctx).at(size).path), "--views-db", str(views)]
        else:
            topic = relay_run(ctx, size).topic
            args += ["--bootstrap", ctx.kafka, "--topic", topic]
            if mode == "kafka":
                views = ctx.folder(f"replay-{mode}-{size}") / "views.sqlite"
                args += ["--views-db", str(views)]
        if index:
            args.append("--index")
        if budget is not None:
            args += ["--budget", str(budget)]
        note(f"replay {mode} {size:,} events{' (indexed)' if index else ''}")
        done = subprocess.run(
            [sys.executable, "-m", "bench.replay_child", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"replay child {args} failed: {done.stderr[-3000:]}")
        out = json.loads(done.stdout.strip().splitlines()[-1])
        return Replay(out["events"], out["seconds"], out["complete"], out["maxrss_kib"], views)

    found: Replay = ctx.once(("replay", mode, size, index, budget), measure)
    return found


def shipped_views_scan(ctx: Context) -> bool:
    """Does applying one event scan `alert_channels` (no index leading with alert_id)?

    Decided from SQLite's query plan on the schema the projection installs, so the benchmark
    follows the code it measures: the indexed variants and the time budget exist only while
    the shipped views scan.
    """

    def plan() -> bool:
        db = ViewDatabase(ctx.folder("plan") / "views.sqlite")
        try:
            install(db, AlertsProjection())
            rows = db.connect().execute(
                "EXPLAIN QUERY PLAN DELETE FROM alert_channels WHERE alert_id = 'x'"
            )
            return any("SCAN" in str(row["detail"]) for row in rows)
        finally:
            db.close()

    scans: bool = ctx.once(("views-scan",), plan)
    return scans


def as_shipped(ctx: Context, mode: str, size: int) -> Replay:
    budget = ctx.sizes.rebuild_budget if shipped_views_scan(ctx) else None
    return child(ctx, mode, size, budget=budget)


def complete(ctx: Context, mode: str, size: int) -> Replay:
    """A replay that runs to the end: as shipped, or indexed while the shipped views scan."""
    if shipped_views_scan(ctx):
        return child(ctx, mode, size, index=True)
    return as_shipped(ctx, mode, size)


def conditions(replay: Replay, size: int, **extra: object) -> dict[str, object]:
    return {
        "stream_events": size,
        "applied": replay.events,
        "complete": replay.complete,
        "seconds": round(replay.seconds, 1),
        "page": f"500, growing to {500 * CATCH_UP_GROWTH:,} while behind",
        **extra,
    }


def run(ctx: Context) -> list[Result]:
    size = ctx.sizes.mid
    scans = shipped_views_scan(ctx)
    bares = {"kafka": child(ctx, "bare", size), "embedded": child(ctx, "bare-embedded", size)}
    bare_names = {"kafka": "bare consumer+decode", "embedded": "bare log read+decode"}
    results: list[Result] = []
    for mode in ("embedded", "kafka"):
        shipped = as_shipped(ctx, mode, size)
        cond = conditions(shipped, size, views_scan_per_event=scans)
        if scans:
            cond["budget_s"] = ctx.sizes.rebuild_budget
        results.append(
            Result(
                f"rebuild {mode}: alerts projection", shipped.rate, "events/s", "higher", None, cond
            )
        )
        bare = bares[mode]
        results.append(
            Result(
                f"rebuild {mode}: ratio to {bare_names[mode]}",
                shipped.rate / bare.rate,
                "x",
                "higher",
                0.6,
                cond | {"bare_events_per_s": round(bare.rate)},
            )
        )
        if scans:
            fixed = child(ctx, mode, size, index=True)
            results.append(
                Result(
                    f"rebuild {mode}: with alert_id indexes (proposal)",
                    fixed.rate,
                    "events/s",
                    "higher",
                    None,
                    conditions(fixed, size),
                )
            )
    results.extend(
        (
            Result(
                "replay: bare KafkaConsumer + fastavro decode",
                bares["kafka"].rate,
                "events/s",
                "higher",
                None,
                conditions(bares["kafka"], size, max_records=500),
            ),
            Result(
                "replay: bare notification log read + mapper decode",
                bares["embedded"].rate,
                "events/s",
                "higher",
                None,
                conditions(bares["embedded"], size),
            ),
        )
    )
    small, large = ctx.sizes.rss_pair
    rss_small = complete(ctx, "kafka", small)
    rss_large = complete(ctx, "kafka", large)
    memory = {
        "stream": "kafka -> alerts projection, complete replay",
        "measured": "VmHWM of a child process (ru_maxrss inherits the parent's peak)",
    }
    results += [
        Result(
            f"replay peak RSS @{small:,}",
            rss_small.rss_mib,
            "MiB",
            "lower",
            None,
            conditions(rss_small, small, **memory),
        ),
        Result(
            f"replay peak RSS @{large:,}",
            rss_large.rss_mib,
            "MiB",
            "lower",
            None,
            conditions(rss_large, large, **memory),
        ),
        Result(
            f"replay peak RSS ratio {large:,}/{small:,}",
            rss_large.rss_mib / rss_small.rss_mib,
            "x",
            "lower",
            1.5,
            memory,
        ),
    ]
    return results
