"""Ingest over HTTP against a real `alerthub serve`: sustained messages/s and ack latency.

Several client threads, each with its own keep-alive connection, post distinct messages as fast
as the hub acknowledges them (closed loop); that is the sustained rate a busy partner sees.
The server runs with its defaults, so a 202 also waits for the views (read-your-writes). In the
same run, the same client drives the framework floor (`bench.floor`: a minimal FastAPI app on the
same server stack saving one eventsourcing aggregate per POST), and the hub's rate is reported
as a ratio to it; bare eventsourcing appends are reported beside them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench import appends
from bench.core import Context, Result, note, percentile, timed
from bench.floor import FloorServer
from bench.messages import BODIES, CONTENT_TYPES
from bench.server import HubServer

WARM_UP = 20
CLIENT = "httpx, keep-alive, closed loop, same 2-core machine"


def post_all(
    url: str, bodies: list[bytes], clients: int, headers: dict[str, str]
) -> tuple[float, list[float]]:
    """Post every body to `url` with `clients` threads; (wall seconds, ack latencies in s)."""
    local = threading.local()

    def post(body: bytes) -> float:
        client: httpx.Client | None = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=30)
        start = time.perf_counter()
        response = client.post(url, content=body, headers=headers)
        elapsed = time.perf_counter() - start
        if response.status_code != 202 or response.json().get("accepted") == []:  # a duplicate
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
        return elapsed

    with ThreadPoolExecutor(clients) as pool, timed() as wall:
        latencies = list(pool.map(post, bodies))
    return wall[0], latencies


def post_to_hub(
    server: HubServer, channel: str, bodies: list[bytes], clients: int
) -> tuple[float, list[float]]:
    headers = server.headers | {"content-type": CONTENT_TYPES[channel]}
    return post_all(f"{server.url}/v1/channels/{channel}/messages", bodies, clients, headers)


def closed_loop(
    post: Callable[[list[bytes], int], tuple[float, list[float]]],
    make: Callable[[], bytes],
    messages: int,
    clients: int,
) -> tuple[float, list[float]]:
    """Warm up on 2 clients, then (rate, ack latencies in ms) of `messages` on `clients`."""
    post([make() for _ in range(WARM_UP)], 2)
    wall, latencies = post([make() for _ in range(messages)], clients)
    return messages / wall, [v * 1000 for v in latencies]


def floor_rate(ctx: Context, channel: str, make: Callable[[], bytes]) -> float:
    """Messages/s of the framework floor, with this channel's bodies (once per run)."""

    def measure() -> float:
        sizes = ctx.sizes
        note(f"framework floor: {sizes.ingest_messages} {channel} bodies")
        with FloorServer(ctx.folder(f"floor-{channel}")) as floor:
            headers = {"content-type": CONTENT_TYPES[channel]}
            url = f"{floor.url}/messages"
            rate, _ = closed_loop(
                lambda bodies, clients: post_all(url, bodies, clients, headers),
                make,
                sizes.ingest_messages,
                sizes.ingest_clients,
            )
        return rate

    rate: float = ctx.once(("floor", channel), measure)
    return rate


def measure_channel(ctx: Context, channel: str, make: Callable[[], bytes]) -> list[Result]:
    sizes = ctx.sizes
    conditions = {
        "channel": channel,
        "messages": sizes.ingest_messages,
        "client_threads": sizes.ingest_clients,
        "server": "alerthub serve, defaults: embedded SQLite, read-your-writes 2 s, JSON logs",
        "client": CLIENT,
    }
    with HubServer(ctx.folder(f"ingest-{channel}")) as server:
        note(f"ingest over HTTP: {sizes.ingest_messages} {channel} messages")
        rate, ms = closed_loop(
            lambda bodies, clients: post_to_hub(server, channel, bodies, clients),
            make,
            sizes.ingest_messages,
            sizes.ingest_clients,
        )
    floor = floor_rate(ctx, channel, make)
    raw = appends.raw_append_rate(ctx)
    name = f"ingest http {channel}"
    floor_conditions = conditions | {
        "floor": "minimal FastAPI app, same uvicorn options, one eventsourcing save() per POST",
        "floor_msg_per_s": round(floor, 1),
    }
    return [
        Result(f"{name}: sustained", rate, "msg/s", "higher", 1000.0, conditions),
        Result(f"{name}: ack p50", percentile(ms, 50), "ms", "lower", None, conditions),
        Result(f"{name}: ack p99", percentile(ms, 99), "ms", "lower", 50.0, conditions),
        Result(f"{name}: ratio to floor", rate / floor, "x", "higher", 1.0, floor_conditions),
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
    floor_conditions = {
        "messages": ctx.sizes.ingest_messages,
        "client_threads": ctx.sizes.ingest_clients,
        "client": CLIENT,
        "server": "bench.floor: minimal FastAPI app, same uvicorn options as alerthub serve",
        "pattern": "one eventsourcing save() of the body per POST",
    }
    for channel in ("cap", "burgernet"):
        results.append(
            Result(
                f"ingest http floor ({channel} bodies)",
                floor_rate(ctx, channel, BODIES[channel]),
                "msg/s",
                "higher",
                None,
                floor_conditions,
            )
        )
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
