"""One versus two API processes on PostgreSQL: sustained ingest over HTTP.

`alerthub serve --workers N` on one port, store and views in a fresh PostgreSQL database (the
server from Debian's package, on the same machine), embedded stream (no Kafka: the figure is the
API and the database, not the broker). Clients post distinct CAP messages closed loop, as in
`bench.ingest`; each 202 waits for the views (read-your-writes), which the one process holding
the projector lease keeps up to date while the others poll the shared positions.
"""

from __future__ import annotations

from bench.core import Context, Result, note, percentile
from bench.ingest import closed_loop, post_to_hub
from bench.messages import cap_body
from bench.server import HubServer


def measure(ctx: Context, workers: int) -> list[Result]:
    sizes = ctx.sizes
    url = ctx.postgres.create_database(f"bench_scaleout_{workers}")
    conditions = {
        "api_processes": workers,
        "messages": sizes.ingest_messages,
        "client_threads": sizes.ingest_clients,
        "server": f"alerthub serve --workers {workers}, PostgreSQL 15 on loopback (fsync off),"
        " embedded stream, read-your-writes 2 s, JSON logs",
        "client": "httpx, keep-alive, closed loop, same 2-core machine",
    }
    folder = ctx.folder(f"scaleout-{workers}")
    with HubServer(folder, "--workers", str(workers), ALERTHUB_DATABASE_URL=url) as server:
        note(f"{workers} API process(es) on PostgreSQL: {sizes.ingest_messages} cap messages")
        rate, ms = closed_loop(
            lambda bodies, clients: post_to_hub(server, "cap", bodies, clients),
            cap_body,
            sizes.ingest_messages,
            sizes.ingest_clients,
        )
    name = f"ingest http cap, postgres, {workers} API process{'es' if workers > 1 else ''}"
    return [
        Result(f"{name}: sustained", rate, "msg/s", "higher", None, conditions),
        Result(f"{name}: ack p50", percentile(ms, 50), "ms", "lower", None, conditions),
        Result(f"{name}: ack p99", percentile(ms, 99), "ms", "lower", None, conditions),
    ]


def run(ctx: Context) -> list[Result]:
    return [*measure(ctx, 1), *measure(ctx, 2)]
