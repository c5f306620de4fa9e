"""Poll mode, as an operator would set it up: the hub polls a (local) NL-Alert feed over HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.conftest import EXAMPLES
from tests.e2e.conftest import Server
from tests.integration.kafka_helpers import eventually

FEED = (EXAMPLES / "nlalert" / "feed-two-items.json").read_bytes()


class Feed(BaseHTTPRequestHandler):
    body = FEED
    requests: list[str | None] = []

    def do_GET(self) -> None:
        etag = f'"{hash(self.body)}"'
        Feed.requests.append(self.headers.get("If-None-Match"))
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def feed() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/alerts"
    server.shutdown()


def test_the_hub_polls_a_feed_with_conditional_gets(feed: str, tmp_path: Path) -> None:
    env = {"ALERTHUB_POLL_FEEDS": json.dumps({"nlalert": feed}), "ALERTHUB_POLL_INTERVAL": "0.2"}
    server = Server(tmp_path / "data", tmp_path / "server.log", **env)
    try:

        def polled() -> int:
            params = {"channel": "nlalert", "lifecycle": "all"}
            return len(httpx.get(f"{server.url}/v1/alerts", params=params).json()["items"])

        eventually(lambda: polled() == len(json.loads(FEED)["data"]), timeout=30)
        eventually(lambda: len(Feed.requests) >= 3, timeout=10)
        assert Feed.requests[0] is None
        assert all(tag is not None for tag in Feed.requests[1:])  # conditional from then on
    finally:
        server.stop()
