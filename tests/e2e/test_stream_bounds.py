"""`/v1/stream` under load on the running service: many replays stay bounded, the cap holds.

The bound is on the server's resident memory while 200 clients replay the whole history at once
and none of them reads (each socket's receive buffer is tiny, so the server meets back-pressure
at once): the server must hold a page per client, not a history per client. The figure and its
conditions are in docs/reliability.md.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import EXAMPLES
from tests.e2e.conftest import Server

CLIENTS = 200
MESSAGES = 200
RSS_BOUND_MIB = 256  # above the server's baseline; docs/reliability.md gives measured figures
THUNDERSTORM = (EXAMPLES / "cap" / "a2-severe-thunderstorm.xml").read_bytes()
XML = {"content-type": "application/cap+xml"}


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A hub with a history to replay, and a cap above the clients of the test."""
    folder = tmp_path_factory.mktemp("stream-load")
    running = Server(
        folder / "data",
        folder / "server.log",
        ALERTHUB_READ_YOUR_WRITES_TIMEOUT="0",
        ALERTHUB_SSE_MAX_CLIENTS=str(CLIENTS + 2),
    )
    with running.client(timeout=30) as client:
        for n in range(MESSAGES):
            body = THUNDERSTORM.replace(b"KSTO1055887203", f"LOAD{n}".encode())
            assert client.post("/v1/channels/cap/messages", content=body, headers=XML).is_success
    yield running
    running.stop()


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert match
    return int(match.group(1)) / 1024


def replay_without_reading(server: Server) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # back-pressure at once
    sock.connect(("127.0.0.1", server.port))
    sock.sendall(b"GET /v1/stream HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 0\r\n\r\n")
    return sock


def test_two_hundred_replays_from_the_start_stay_bounded_and_health_answers(
    busy: Server,
) -> None:
    with httpx.Client(base_url=busy.url, timeout=10) as client:
        with client.stream(
            "GET", "/v1/stream", params={"follow": "false"}, headers={"Last-Event-ID": "0"}
        ) as r:
            history = sum(1 for line in r.iter_lines() if line.startswith("id: "))
        assert history >= MESSAGES
        baseline = rss_mib(busy.process.pid)
        sockets = [replay_without_reading(busy) for _ in range(CLIENTS)]
        try:
            for _ in range(5):  # several looks while every replay is under way
                # Liveness, not speed: how fast it answers is measured by bench.soak.
                assert client.get("/healthz", timeout=5).status_code == 200
                peak = rss_mib(busy.process.pid)
                assert peak - baseline < RSS_BOUND_MIB, f"{baseline:.0f} -> {peak:.0f} MiB"
        finally:
            for sock in sockets:
                sock.close()
        # The server let go of them; a full reader gets the whole history.
        with client.stream(
            "GET", "/v1/stream", params={"follow": "false"}, headers={"Last-Event-ID": "0"}
        ) as r:
            assert sum(1 for line in r.iter_lines() if line.startswith("id: ")) == history


def test_streams_beyond_the_cap_get_503_with_retry_after(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("stream-cap")
    server = Server(folder / "data", folder / "server.log", ALERTHUB_SSE_MAX_CLIENTS="2")
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            with (
                client.stream("GET", "/v1/stream") as first,
                client.stream("GET", "/v1/stream") as second,
            ):
                assert (first.status_code, second.status_code) == (200, 200)
                third = client.get("/v1/stream")
                assert third.status_code == 503
                assert third.headers["content-type"] == "application/problem+json"
                assert int(third.headers["retry-after"]) > 0
                assert third.json()["type"] == "/problems/too-many-streams"
                assert client.get("/healthz").status_code == 200
            # Both places are free again once the server has seen their clients go.
            deadline = time.monotonic() + 30
            while client.get("/v1/stream", params={"follow": "false"}).status_code != 200:
                assert time.monotonic() < deadline, "the places of closed streams stayed taken"
                time.sleep(0.2)
            with client.stream("GET", "/v1/stream", params={"follow": "false"}) as again:
                assert again.status_code == 200
    finally:
        server.stop()
