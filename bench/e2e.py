"""End to end: from a message sent to the alert visible in the view, at a fixed offered load.

Open loop: message i is due at t0 + i/rate whether or not earlier ones are done, and its latency
is counted from when it was due, so a hub that falls behind shows it in the tail instead of
silently slowing the sender down (coordinated omission). Measured in one process through
`hub.wait_for_views`, and over HTTP (POST, then GET /v1/alerts/{id} until it answers 200),
on the embedded store and through Kafka (relay -> topic -> projections).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from bench.core import Context, Result, note, percentile
from bench.messages import CONTENT_TYPES, cap_body
from bench.server import HubServer
from hub.bootstrap import bootstrap
from hub.settings import load_settings

Job = Callable[[], None]
WARM_UP = 20
TIMEOUT = 30.0


def open_loop(rate: float, seconds: float, job: Job) -> list[float]:
    """Latencies (s) of `rate * seconds` jobs started on schedule, measured from when due."""
    count = int(rate * seconds)
    with ThreadPoolExecutor(32) as pool:
        start = time.perf_counter() + 0.1

        def due(index: int) -> float:
            at = start + index / rate
            job()
            return time.perf_counter() - at

        futures = []
        for index in range(count):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(due, index))
        return [f.result() for f in futures]


def in_process_job(hub_settings: dict[str, Any], folder_name: str, ctx: Context) -> list[float]:
    settings = load_settings(
        data_dir=ctx.folder(folder_name) / "data", log_level="WARNING", **hub_settings
    )
    hub = bootstrap(settings, configure_logs=True)
    hub.start()
    try:

        def job() -> None:
            result = hub.service.ingest("cap", cap_body(), CONTENT_TYPES["cap"])
            if not hub.wait_for_views(result.position, TIMEOUT):
                raise RuntimeError("not visible within the timeout")

        for _ in range(WARM_UP):
            job()
        return open_loop(ctx.sizes.e2e_rate, ctx.sizes.e2e_seconds, job)
    finally:
        hub.close()


def http_job(env: dict[str, str], folder_name: str, ctx: Context) -> list[float]:
    local = threading.local()
    with HubServer(ctx.folder(folder_name), **env) as server:

        def job() -> None:
            client: httpx.Client | None = getattr(local, "client", None)
            if client is None:
                client = local.client = httpx.Client(
                    base_url=server.url, headers=server.headers, timeout=TIMEOUT
                )
            posted = client.post(
                "/v1/channels/cap/messages",
                content=cap_body(),
                headers={"content-type": CONTENT_TYPES["cap"]},
            )
            if posted.status_code != 202:
                raise RuntimeError(f"{posted.status_code} {posted.text[:300]}")
            alert_id = posted.json()["accepted"][0]["alert_id"]
            deadline = time.monotonic() + TIMEOUT
            while client.get(f"/v1/alerts/{alert_id}").status_code != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"alert {alert_id} not visible")
                time.sleep(0.001)

        for _ in range(WARM_UP):
            job()
        return open_loop(ctx.sizes.e2e_rate, ctx.sizes.e2e_seconds, job)


def summarise(
    name: str, latencies: list[float], target: float, conditions: dict[str, object]
) -> list[Result]:
    ms = [v * 1000 for v in latencies]
    return [
        Result(f"{name}: p50", percentile(ms, 50), "ms", "lower", None, conditions),
        Result(f"{name}: p99", percentile(ms, 99), "ms", "lower", target, conditions),
    ]


def run(ctx: Context) -> list[Result]:
    sizes = ctx.sizes
    base = {
        "offered_load_msg_per_s": sizes.e2e_rate,
        "messages": int(sizes.e2e_rate * sizes.e2e_seconds),
        "schedule": "open loop, latency from the due time",
        "channel": "cap (distinct new alerts)",
        "settings": "hub defaults (poll 0.5 s, read-your-writes 2 s)",
    }
    results: list[Result] = []
    note("e2e embedded, in process")
    lat = in_process_job({}, "e2e-embedded", ctx)
    results += summarise("e2e embedded in-process", lat, 100.0, base | {"via": "wait_for_views"})
    note("e2e embedded, over HTTP")
    lat = http_job({}, "e2e-embedded-http", ctx)
    via = {"via": "POST (202 waits for views) + GET /v1/alerts/{id} until 200"}
    results += summarise("e2e embedded http", lat, 100.0, base | via)
    bootstrap_servers = ctx.kafka
    topic = f"bench.e2e.{uuid.uuid4().hex[:8]}"
    kafka = {"kafka_bootstrap": bootstrap_servers, "kafka_topic": topic}
    kafka_conditions = base | {"kafka": "Apache Kafka 4.1.1, 1 broker, 3 partitions, loopback"}
    note("e2e Kafka, in process")
    lat = in_process_job(kafka | {"kafka_group": f"bench-{topic}"}, "e2e-kafka", ctx)
    results += summarise(
        "e2e kafka in-process", lat, 500.0, kafka_conditions | {"via": "wait_for_views"}
    )
    note("e2e Kafka, over HTTP")
    env = {
        "ALERTHUB_KAFKA_BOOTSTRAP": bootstrap_servers,
        "ALERTHUB_KAFKA_TOPIC": f"{topic}.http",
        "ALERTHUB_KAFKA_GROUP": f"bench-{topic}-http",
    }
    lat = http_job(env, "e2e-kafka-http", ctx)
    results += summarise("e2e kafka http", lat, 500.0, kafka_conditions | via)
    return results
