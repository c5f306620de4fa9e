"""Ingest over HTTP against a real `alerthub serve`: sustained messages/s and ack latency.

Several client threads, each with its own keep-alive connection, post distinct messages as fast
as the hub acknowledges them (closed loop); that is the sustained rate a busy partner sees.
The server runs with its defaults, so a 202 also waits for the views (read-your-writes), and
the rate is compared with bare eventsourcing appends measured in the same run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench import appends
from bench.core import Context, Result, note, percentile, timed
from bench.messages import BODIES, CONTENT_TYPES
from bench.server import HubServer

WARM_UP = 20


def post_all(
    url: str, channel: str, bodies: list[bytes], clients: int
) -> tuple[float, list[float]]:
    """Post every body with `clients` threads; returns (wall seconds, ack latencies in s)."""
    local = threading.local()
    path = f"{url}/v1/channels/{channel}/messages"
    headers = {"content-type": CONTENT_TYPES[channel]}

    def post(body: bytes) -> float:
        client: httpx.Client | None = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=30)
        start = time.perf_counter()
        response = client.post(path, content=body, headers=headers)
        elapsed = time.perf_counter() - start
        if response.status_code != 202 or not response.json()["accepted"]:
            raise RuntimeError(f"{channel}: {response.status_code} {response.text[:300]}")
        return elapsed

    with ThreadPoolExecutor(clients) as pool, timed() as wall:
        latencies = list(pool.map(post, bodies))
    return wall[0], latencies


def measure_channel(ctx: Context, channel: str, make: Callable[[], bytes]) -> list[Result]:
    sizes = ctx.sizes
    conditions = {
        "channel": channel,
        "messages": sizes.ingest_messages,
        "client_threads": sizes.ingest_clients,
        "server": "alerthub serve, defaults: embedded SQLite, read-your-writes 2 s, JSON logs",
        "client": "httpx, keep-alive, closed loop, same 2-core machine",
    }
    with HubServer(ctx.folder(f"ingest-{channel}")) as server:
        post_all(server.url, channel, [make() for _ in range(WARM_UP)], 2)
        bodies = [make() for _ in range(sizes.ingest_messages)]
        note(f"ingest over HTTP: {len(bodies)} {channel} messages")
        wall, latencies = post_all(server.url, channel, bodies, sizes.ingest_clients)
    rate = len(bodies) / wall
    raw = appends.raw_append_rate(ctx)
    ms = [v * 1000 for v in latencies]
    name = f"ingest http {channel}"
    return [
        Result(f"{name}: sustained", rate, "msg/s", "higher", 1000.0, conditions),
        Result(f"{name}: ack p50", percentile(ms, 50), "ms", "lower", None, conditions),
        Result(f"{name}: ack p99", percentile(ms, 99), "ms", "lower", 50.0, conditions),
        Result(
            f"{name}: ratio to bare appends",
            rate / raw,
            "x",
            "higher",
            None,
            conditions | {"bare_appends_per_s": round(raw, 1)},
        ),
    ]


def run(ctx: Context) -> list[Result]:
    results = [
        *measure_channel(ctx, "cap", BODIES["cap"]),
        *measure_channel(ctx, "burgernet", BODIES["burgernet"]),
    ]
    raw = appends.raw_append_rate(ctx)
    results.append(
        Result(
            "ingest: bare eventsourcing appends (same disk, same run)",
            raw,
            "saves/s",
            "higher",
            None,
            {"saves": ctx.sizes.appends, "pattern": "one save() of a 1-field aggregate each"},
        )
    )
    return results
