"""Ingest over HTTP against a real `alerthub serve`: sustained messages/s and ack latency.

Several client threads, each with its own keep-alive connection, post distinct messages as fast
as the hub acknowledges them (closed loop); that is the sustained rate a busy partner sees.
The server runs with its defaults, so a 202 also waits for the views (read-your-writes). In the
same run, the same client drives the framework floor (`bench.floor`: a minimal FastAPI app on the
same server stack saving one eventsourcing aggregate per POST), both servers up at once and
taking turns in rounds, and the hub's rate is reported as a ratio to it; bare eventsourcing
appends are reported beside them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from bench import appends
from bench.core import Context, Result, note, percentile, timed
from bench.floor import FloorServer
from bench.messages import BODIES, CONTENT_TYPES
from bench.server import HubServer

WARM_UP = 20
ROUNDS = 4
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


Post = Callable[[list[bytes], int], tuple[float, list[float]]]
"""Posts bodies with n clients: (wall seconds, ack latencies in s)."""


@dataclass
class Loop:
    """What one target did over every round: messages, wall time, ack latencies."""

    messages: int = 0
    wall: float = 0.0
    ms: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.messages / self.wall


def interleaved(
    posts: list[Post], make: Callable[[], bytes], messages: int, clients: int
) -> list[Loop]:
    """Each target warmed up on 2 clients, then `messages` each on `clients`, in `ROUNDS` rounds
    taking turns: on a machine others share, load that comes and goes falls on every target
    alike, so the ratio between them is steadier than either figure."""
    for post in posts:
        post([make() for _ in range(WARM_UP)], 2)
    loops = [Loop() for _ in posts]
    per_round = max(1, messages // ROUNDS)
    for _ in range(ROUNDS):
        for post, loop in zip(posts, loops, strict=True):
            wall, latencies = post([make() for _ in range(per_round)], clients)
            loop.messages += per_round
            loop.wall += wall
            loop.ms += [v * 1000 for v in latencies]
    return loops


def closed_loop(
    post: Post, make: Callable[[], bytes], messages: int, clients: int
) -> tuple[float, list[float]]:
    """One target alone: (rate, ack latencies in ms)."""
    (loop,) = interleaved([post], make, messages, clients)
    return loop.rate, loop.ms


def floor_rate(ctx: Context, channel: str) -> float:
    """Messages/s of the framework floor with this channel's bodies, measured beside the hub."""
    rate: float = ctx.memo[("floor", channel)]
    return rate


def measure_channel(ctx: Context, channel: str, make: Callable[[], bytes]) -> list[Result]:
    sizes = ctx.sizes
    conditions = {
        "channel": channel,
        "messages": sizes.ingest_messages,
        "client_threads": sizes.ingest_clients,
        "rounds": f"{ROUNDS}, hub and floor taking turns",
        "server": "alerthub serve, defaults: embedded SQLite, read-your-writes 2 s, JSON logs",
        "client": CLIENT,
    }
    folder = ctx.folder(f"ingest-{channel}")
    with HubServer(folder / "hub") as hub, FloorServer(folder / "floor") as floor:
        note(f"ingest over HTTP: {sizes.ingest_messages} {channel} messages, hub and floor")
        floor_headers = {"content-type": CONTENT_TYPES[channel]}
        measured, bare = interleaved(
            [
                lambda bodies, clients: post_to_hub(hub, channel, bodies, clients),
                lambda bodies, clients: post_all(
                    f"{floor.url}/messages", bodies, clients, floor_headers
                ),
            ],
            make,
            sizes.ingest_messages,
            sizes.ingest_clients,
        )
    ctx.memo[("floor", channel)] = bare.rate
    rate, ms = measured.rate, measured.ms
    raw = appends.raw_append_rate(ctx)
    name = f"ingest http {channel}"
    floor_conditions = conditions | {
        "floor": "minimal FastAPI app, same uvicorn options, one eventsourcing save() per POST",
        "floor_msg_per_s": round(bare.rate, 1),
    }
    return [
        Result(f"{name}: sustained", rate, "msg/s", "higher", 1000.0, conditions),
        Result(f"{name}: ack p50", percentile(ms, 50), "ms", "lower", None, conditions),
        Result(f"{name}: ack p99", percentile(ms, 99), "ms", "lower", 50.0, conditions),
        Result(f"{name}: ratio to floor", rate / bare.rate, "x", "higher", 1.0, floor_conditions),
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
                floor_rate(ctx, channel),
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
