"""Growth: the same figures at every ladder size (10k, 100k, 1M stream events in the full run).

A cost that is flat per event (fill, relay, bare Kafka) keeps its events/s as the store grows;
one that grows with the data shows up as events/s falling (or latency rising) from one size to
the next. Ingest "on top" posts new messages in one process (parse, decide, commit, wait for
the views) against a store and an alerts view already holding N events (prepared by a complete
replay; stripped of any benchmark index, so exactly as shipped).
"""

from __future__ import annotations

import shutil
import time

from bench.core import Context, Result, note, percentile
from bench.ladder import hub_folder, ladder
from bench.messages import CONTENT_TYPES, cap_body
from bench.relay import relay_run
from bench.replay import as_shipped, child, complete, conditions, shipped_views_scan
from bench.replay_child import AID_INDEXES, DROP_AID_INDEXES
from hub.bootstrap import bootstrap
from hub.settings import load_settings


def on_top(ctx: Context, size: int) -> tuple[list[tuple[str, float, float]], list[str]]:
    """(variant, msg/s, p99 ms) of sequential ingest + wait_for_views on a store of `size`,
    and the projections that start empty but at the head (only the alerts view is replayed:
    rebuilding every live view of 1M events would take longer than the whole benchmark)."""
    snapshot = ladder(ctx).at(size)
    views = complete(ctx, "embedded", size).views
    assert views is not None
    data = hub_folder(ctx, snapshot, f"on-top-{size}", copy=True)
    shutil.copyfile(views, data / "views.sqlite")
    hub = bootstrap(load_settings(data_dir=data, log_level="WARNING"), configure_logs=True)
    out, at_head = [], []
    variants: list[tuple[str, tuple[str, ...]]] = [("as shipped", ())]
    if shipped_views_scan(ctx):
        variants.append(("with alert_id indexes", AID_INDEXES))
    try:
        head = hub.stream.head()
        with hub.views.transaction() as conn:
            for statement in DROP_AID_INDEXES:
                conn.execute(statement)
            for projection in hub.follower.projections:
                if not hub.views.checkpoint(projection.name, conn):
                    at_head.append(projection.name)
                    for partition, position in head.items():
                        hub.views.advance(conn, projection.name, partition, position)
        hub.start()
        for variant, statements in variants:
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
    return out, at_head


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
    measured, at_head = on_top(ctx, size)
    for variant, rate, p99 in measured:
        cond = {
            "messages": ctx.sizes.on_top,
            "variant": variant,
            "sequential": True,
            "alerts_view_rows_for": size,
            "views_empty_at_head": ",".join(at_head),
        }
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
    scans = shipped_views_scan(ctx)
    for mode in ("embedded", "kafka"):
        shipped = as_shipped(ctx, mode, size)
        cond = conditions(shipped, size, projection="alerts")
        if scans:
            cond["budget_s"] = ctx.sizes.rebuild_budget
        results.append(
            Result(f"growth {tag}: rebuild {mode}", shipped.rate, "events/s", "higher", None, cond)
        )
        if scans:
            fixed = child(ctx, mode, size, index=True)
            results.append(
                Result(
                    f"growth {tag}: rebuild {mode}, with indexes",
                    fixed.rate,
                    "events/s",
                    "higher",
                    None,
                    conditions(fixed, size),
                )
            )
        whole = complete(ctx, mode, size)
        results.append(
            Result(
                f"growth {tag}: rebuild {mode} peak RSS",
                whole.rss_mib,
                "MiB",
                "lower",
                None,
                conditions(whole, size),
            )
        )
    return results


LINEAR = ("pre-fill", "relay", "rebuild embedded", "rebuild kafka", "ingest+views, as shipped")
LINEAR_TARGET = 1 / 1.5
"""At most linear: the per-event rate at the largest size is at least 1/1.5 of the smallest's
(the same 1.5x tolerance as replay memory: on a shared machine runs drift by 20-40 %)."""


def linearity(ctx: Context, results: list[Result]) -> list[Result]:
    """Per-event rate at the largest ladder size over the smallest, for each rate measured."""
    small, large = ctx.sizes.ladder[0], ctx.sizes.ladder[-1]
    values = {r.name: r.value for r in results}
    out = []
    for figure in LINEAR:
        first, last = (
            values.get(f"growth @{small:,}: {figure}"),
            values.get(f"growth @{large:,}: {figure}"),
        )
        if first and last:
            out.append(
                Result(
                    f"growth linearity: {figure} rate @{large:,}/@{small:,}",
                    last / first,
                    "x",
                    "higher",
                    LINEAR_TARGET,
                    {"meaning": "per-event rate at the largest size over the smallest"},
                )
            )
    return out


def run(ctx: Context) -> list[Result]:
    results: list[Result] = []
    for size in ctx.sizes.ladder:
        results += at_size(ctx, size)
    return results + linearity(ctx, results)
