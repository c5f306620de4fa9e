"""`python -m bench.sse_replays`: 200 SSE replays from the start, none reading, against one hub.

The set-up of `tests/e2e/test_stream_bounds.py`, measured rather than asserted: a hub with a
history of CAP messages, then 200 connections that each ask `/v1/stream` for the whole history
with a 4 KiB receive buffer and never read, so the server meets back-pressure at once. While they
are open, `/healthz` is probed at a steady pace and the server's resident memory is sampled; the
test may only check that the memory stays bounded and that `/healthz` answers, the answer times
belong here. The machine's load average is recorded with the figures: on a shared 2-core machine
it decides the answer times more than the hub does. A summary goes to stdout and JSON to
`bench/results/`.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.core import ROOT, machine, note, percentile
from bench.ingest import post_to_hub
from bench.messages import cap_body
from bench.server import HubServer
from bench.soak_procs import rss_mib

HEALTHZ_BUDGET_S = 1.0  # what issue-level "answering within a second" means, per probe


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def replay_without_reading(port: int) -> socket.socket:
    """A client that asks for the whole history and never reads: back-pressure at once."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET /v1/stream HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 0\r\n\r\n")
    return sock


def answered(sock: socket.socket) -> bool:
    """Whether the server began the stream here (peeked: the client still reads nothing)."""
    sock.settimeout(10)
    try:
        return sock.recv(12, socket.MSG_PEEK) == b"HTTP/1.1 200"
    except OSError:
        return False


def history(client: httpx.Client) -> int:
    """Events a client that reads everything gets from the start."""
    params = {"follow": "false"}
    with client.stream("GET", "/v1/stream", params=params, headers={"Last-Event-ID": "0"}) as r:
        return sum(1 for line in r.iter_lines() if line.startswith("id: "))


@contextmanager
def peak_rss(pid: int, every: float = 0.1) -> Iterator[list[float]]:
    """Samples the process's RSS in a thread; the box holds the highest seen once closed."""
    box: list[float] = []
    highest = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal highest
        while not done.is_set():
            highest = max(highest, rss_mib(pid))
            done.wait(every)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        done.set()
        thread.join()
        box.append(highest)


def probe(client: httpx.Client, probes: int, spacing: float) -> tuple[list[float], list[int]]:
    """`/healthz` answer times (s) and statuses, one probe every `spacing` seconds."""
    seconds: list[float] = []
    statuses: list[int] = []
    for _ in range(probes):
        start = time.perf_counter()
        statuses.append(client.get("/healthz", timeout=60).status_code)
        seconds.append(time.perf_counter() - start)
        time.sleep(spacing)
    return seconds, statuses


def run(work: Path, clients: int, messages: int, probes: int, spacing: float) -> dict[str, Any]:
    env = {
        "ALERTHUB_READ_YOUR_WRITES_TIMEOUT": "0",
        "ALERTHUB_SSE_MAX_CLIENTS": str(clients + 2),
    }
    with HubServer(work / "hub", **env) as server, httpx.Client(base_url=server.url) as client:
        note(f"posting {messages} CAP messages")
        post_to_hub(server, "cap", [cap_body() for _ in range(messages)], 2)
        events = history(client)
        time.sleep(1)
        baseline = rss_mib(server.process.pid)
        load_before = load_average()
        note(f"opening {clients} replays of {events} events, none reading")
        with peak_rss(server.process.pid) as peak:
            opened = time.perf_counter()
            sockets = [replay_without_reading(server.port) for _ in range(clients)]
            opening = time.perf_counter() - opened
            try:
                seconds, statuses = probe(client, probes, spacing)
                load_during = load_average()
                served = sum(answered(sock) for sock in sockets)
            finally:
                for sock in sockets:
                    sock.close()
            time.sleep(3)
        after = rss_mib(server.process.pid)
        complete = history(client) == events
    return {
        "clients": clients,
        "events_in_history": events,
        "receive_buffer_bytes": 4096,
        "seconds_to_open_clients": round(opening, 2),
        "replays_answered_200": served,
        "rss_mib": {
            "baseline": round(baseline),
            "peak": round(peak[0]),
            "after": round(after),
            "peak_above_baseline": round(peak[0] - baseline),
        },
        "healthz": {
            "probes": probes,
            "spacing_s": spacing,
            "statuses": sorted(set(statuses)),
            "median_s": round(percentile(seconds, 50), 3),
            "p95_s": round(percentile(seconds, 95), 3),
            "max_s": round(max(seconds), 3),
            "within_budget": all(s < HEALTHZ_BUDGET_S for s in seconds),
            "budget_s": HEALTHZ_BUDGET_S,
        },
        "full_history_after": complete,
        "load_average": {"before": load_before, "during": load_during, "after": load_average()},
        "cpu_count": os.cpu_count(),
    }


def summary(result: dict[str, Any]) -> str:
    rss, health, load = result["rss_mib"], result["healthz"], result["load_average"]
    within = "yes" if health["within_budget"] else "NO"
    return (
        f"{result['clients']} SSE replays of {result['events_in_history']} events, none reading\n"
        f"  replays the server answered 200: {result['replays_answered_200']}\n"
        f"  server RSS: baseline {rss['baseline']} MiB, peak {rss['peak']} MiB "
        f"(+{rss['peak_above_baseline']}), after {rss['after']} MiB\n"
        f"  /healthz over {health['probes']} probes every {health['spacing_s']} s: "
        f"median {health['median_s']} s, p95 {health['p95_s']} s, max {health['max_s']} s; "
        f"statuses {health['statuses']}; all within {health['budget_s']} s: {within}\n"
        f"  full history to a reader afterwards: {result['full_history_after']}\n"
        f"  load average (1, 5, 15 min) before {load['before']}, during {load['during']}, "
        f"after {load['after']} on {result['cpu_count']} CPUs\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sse_replays", description=__doc__)
    parser.add_argument("--clients", type=int, default=200, help="replays held open at once")
    parser.add_argument("--messages", type=int, default=200, help="CAP messages in the history")
    parser.add_argument("--probes", type=int, default=20, help="/healthz probes while open")
    parser.add_argument("--spacing", type=float, default=0.25, help="seconds between probes")
    parser.add_argument(
        "--json", type=Path, help="where to write the result (default bench/results)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="alerthub-sse-") as work:
        result = run(Path(work), args.clients, args.messages, args.probes, args.spacing)
    result |= {"machine": machine()}
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = args.json or ROOT / "bench" / "results" / f"sse-replays-{stamp}.json"
    target.write_text(json.dumps(result, indent=2) + "\n")
    sys.stdout.write(summary(result))
    note(f"written {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
