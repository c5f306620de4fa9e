"""Growth: the same figures at every ladder size (10k, 100k, 1M stream events in the full run).

A cost that is flat per event (fill, relay, bare Kafka) keeps its events/s as the store grows;
one that grows with the data shows up as events/s falling (or latency rising) from one size to
the next. Ingest "on top" posts new messages in one process (parse, decide, commit, wait for
the views) against a store and views already holding N events; the views are prepared by the
indexed replay and then stripped of the benchmark's indexes, so they are exactly as shipped.
"""

from __future__ import annotations

import shutil
import time

from bench.core import Context, Result, note, percentile
from bench.ladder import hub_folder, ladder
from bench.messages import CONTENT_TYPES, cap_body
from bench.relay import relay_run
from bench.replay import as_shipped, child, conditions
from bench.replay_child import AID_INDEXES, DROP_AID_INDEXES
from hub.bootstrap import bootstrap
from hub.settings import load_settings


def on_top(ctx: Context, size: int) -> list[tuple[str, float, float]]:
    """(variant, msg/s, p99 ms) of sequential ingest + wait_for_views on a store of `size`."""
    snapshot = ladder(ctx).at(size)
    views = child(ctx, "embedded", size, index=True).views
    assert views is not None
    data = hub_folder(ctx, snapshot, f"on-top-{size}", copy=True)
    shutil.copyfile(views, data / "views.sqlite")
    hub = bootstrap(load_settings(data_dir=data, log_level="WARNING"), configure_logs=True)
    out = []
    try:
        with hub.views.transaction() as conn:
            for statement in DROP_AID_INDEXES:
                conn.execute(statement)
        hub.start()
        for variant, statements in (("as shipped", ()), ("with alert_id indexes", AID_INDEXES)):
            with hub.views.transaction() as conn:
                for statement in statements:
                    conn.execute(statement)
            note(f"ingest on top of {size:,} events, {variant}")
            latencies = []
            start = time.perf_counter()
            for _ in range(ctx.sizes.on_top):
                began = time.perf_counter()
                result = hub.service.ingest("cap", cap_body(), CONTENT_TYPES["cap"])
                if not hub.wait_for_views(result.position, 60):
                    raise RuntimeError("views did not follow")
                latencies.append((time.perf_counter() - began) * 1000)
            rate = ctx.sizes.on_top / (time.perf_counter() - start)
            out.append((variant, rate, percentile(latencies, 99)))
    finally:
        hub.close()
    return out


def at_size(ctx: Context, size: int) -> list[Result]:
    tag = f"@{size:,}"
    snapshot = ladder(ctx).at(size)
    fill = {
        "via": "hub.service.handle, 2000 commands per transaction, Alert+Update pairs",
        "store_mib": round(snapshot.file_mib, 1),
    }
    results = [
        Result(f"growth {tag}: pre-fill", snapshot.fill_rate, "events/s", "higher", None, fill)
    ]
    for variant, rate, p99 in on_top(ctx, size):
        cond = {"messages": ctx.sizes.on_top, "variant": variant, "sequential": True}
        results += [
            Result(f"growth {tag}: ingest+views, {variant}", rate, "msg/s", "higher", None, cond),
            Result(f"growth {tag}: ingest+views p99, {variant}", p99, "ms", "lower", None, cond),
        ]
    relay = relay_run(ctx, size)
    results += [
        Result(f"growth {tag}: relay", relay.relay_rate, "events/s", "higher", None, {}),
        Result(f"growth {tag}: bare producer", relay.bare_rate, "records/s", "higher", None, {}),
    ]
    bare = child(ctx, "bare", size)
    results.append(
        Result(
            f"growth {tag}: bare consumer+decode",
            bare.rate,
            "events/s",
            "higher",
            None,
            conditions(bare, size),
        )
    )
    for mode in ("embedded", "kafka"):
        shipped = as_shipped(ctx, mode, size)
        fixed = child(ctx, mode, size, index=True)
        results += [
            Result(
                f"growth {tag}: rebuild {mode}, as shipped",
                shipped.rate,
                "events/s",
                "higher",
                None,
                conditions(shipped, size, budget_s=ctx.sizes.rebuild_budget),
            ),
            Result(
                f"growth {tag}: rebuild {mode}, with indexes",
                fixed.rate,
                "events/s",
                "higher",
                None,
                conditions(fixed, size),
            ),
            Result(
                f"growth {tag}: rebuild {mode} peak RSS",
                fixed.rss_mib,
                "MiB",
                "lower",
                None,
                conditions(fixed, size),
            ),
        ]
    return results


def run(ctx: Context) -> list[Result]:
    results: list[Result] = []
    for size in ctx.sizes.ladder:
        results += at_size(ctx, size)
    return results
