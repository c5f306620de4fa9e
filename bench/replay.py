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
        if mode == "embedded":
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


def as_shipped(ctx: Context, mode: str, size: int) -> Replay:
    return child(ctx, mode, size, budget=ctx.sizes.rebuild_budget)


def conditions(replay: Replay, size: int, **extra: object) -> dict[str, object]:
    return {
        "stream_events": size,
        "applied": replay.events,
        "complete": replay.complete,
        "seconds": round(replay.seconds, 1),
        "page": 500,
        **extra,
    }


def run(ctx: Context) -> list[Result]:
    size = ctx.sizes.mid
    bare = child(ctx, "bare", size)
    results: list[Result] = []
    for mode in ("embedded", "kafka"):
        shipped = as_shipped(ctx, mode, size)
        fixed = child(ctx, mode, size, index=True)
        budget = {"budget_s": ctx.sizes.rebuild_budget}
        results += [
            Result(
                f"rebuild {mode}: as shipped",
                shipped.rate,
                "events/s",
                "higher",
                None,
                conditions(shipped, size, **budget),
            ),
            Result(
                f"rebuild {mode}: with alert_id indexes (proposal)",
                fixed.rate,
                "events/s",
                "higher",
                None,
                conditions(fixed, size),
            ),
        ]
        if mode == "kafka":
            results += [
                Result(
                    "rebuild kafka: ratio to bare consumer+decode",
                    shipped.rate / bare.rate,
                    "x",
                    "higher",
                    0.6,
                    conditions(shipped, size, **budget),
                ),
                Result(
                    "rebuild kafka: ratio to bare, with indexes (proposal)",
                    fixed.rate / bare.rate,
                    "x",
                    "higher",
                    0.6,
                    conditions(fixed, size),
                ),
            ]
    results.append(
        Result(
            "replay: bare KafkaConsumer + fastavro decode",
            bare.rate,
            "events/s",
            "higher",
            None,
            conditions(bare, size, max_records=500),
        )
    )
    small, large = ctx.sizes.rss_pair
    rss_small = child(ctx, "kafka", small, index=True)
    rss_large = child(ctx, "kafka", large, index=True)
    memory = {
        "stream": "kafka -> alerts projection, with indexes (so 1M completes)",
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
