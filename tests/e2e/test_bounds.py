"""Bounded input over real HTTP: structural limits, query bounds and slow clients on `serve`."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from hub.api.guard import MAX_HEADER_BYTES
from tests.conftest import EXAMPLES
from tests.e2e.conftest import Server

THUNDERSTORM = (EXAMPLES / "cap" / "a2-severe-thunderstorm.xml").read_text()
POLYGON = re.compile(r"<polygon>[^<]*</polygon>")
XML = {"content-type": "application/cap+xml"}


@pytest.fixture(scope="module")
def bounded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with small limits and short deadlines, so the tests stay small and quick."""
    folder = tmp_path_factory.mktemp("bounded")
    running = Server(
        folder / "data",
        folder / "server.log",
        ALERTHUB_MAX_POLYGON_POINTS="50",
        ALERTHUB_MAX_TEXT_CHARS="1000",
        ALERTHUB_HTTP_HEADER_TIMEOUT="1",
        ALERTHUB_HTTP_BODY_TIMEOUT="1",
    )
    yield running
    running.stop()


def storm(identifier: str, *, points: int = 5, description: str = "storm") -> bytes:
    ring = [f"{38 + i / 1000:.3f},{-120 + (i % 2) / 1000:.3f}" for i in range(points - 1)]
    polygon = f"<polygon>{' '.join([*ring, ring[0]])}</polygon>"
    text = POLYGON.sub(polygon, THUNDERSTORM)
    text = re.sub(
        r"<description>.*?</description>",
        f"<description>{description}</description>",
        text,
        flags=re.S,
    )
    return text.replace("KSTO1055887203", identifier).encode()


def test_a_polygon_over_the_limit_is_a_422_naming_it_and_nothing_is_recorded(
    bounded: Server,
) -> None:
    with bounded.client() as client:
        before = client.get("/v1/alerts", params={"lifecycle": "all"}).json()["items"]
        response = client.post(
            "/v1/channels/cap/messages", content=storm("big", points=51), headers=XML
        )
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["type"] == "/problems/limit-exceeded"
        assert body["limit"] == "polygon_points"
        assert body["errors"][0]["location"] == "info[0].area[0].polygon[0]"
        assert "51 is over the polygon_points limit of 50" in body["detail"]
        assert client.get("/v1/alerts", params={"lifecycle": "all"}).json()["items"] == before
        within = client.post(
            "/v1/channels/cap/messages", content=storm("ok", points=50), headers=XML
        )
        assert within.status_code == 202, within.text


def test_a_text_over_the_limit_is_a_422(bounded: Server) -> None:
    body = storm("long", description="x" * 1001)
    with bounded.client() as client:
        response = client.post("/v1/channels/cap/messages", content=body, headers=XML)
    assert response.status_code == 422
    assert response.json()["limit"] == "text_chars"


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/v1/alerts", {"cursor": "x" * 513}),
        ("/v1/incidents", {"cursor": "WyJub3QiLCAiaXQiLCAzXQ"}),
        ("/v1/alerts", {"limit": "99999999999999999999"}),
        ("/v1/alerts", {"as_of": "0001-01-01T00:00:00+01:00"}),
        ("/v1/alerts", {"as_of": "9999-12-31T23:59:59-01:00"}),
        ("/v1/views/cap", {"as_of": "0001-01-01T00:00:00+01:00"}),
        ("/v1/alerts/8a3c1b6e-1c7c-4e2f-9a55-3d7b9d3c1f00", {"as_of": "1899-12-31T23:00:00Z"}),
    ],
)
def test_query_parameters_out_of_range_are_a_400_naming_the_parameter(
    bounded: Server, path: str, query: dict[str, str]
) -> None:
    response = httpx.get(f"{bounded.url}{path}", params=query)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert next(iter(query)) in response.json()["detail"]


def _closed_by_server(sock: socket.socket, within: float = 10.0) -> bool:
    """True once the server has closed the connection (recv gives EOF or a reset)."""
    sock.settimeout(within)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


def _connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def test_a_client_that_never_finishes_its_headers_is_disconnected(bounded: Server) -> None:
    with _connect(bounded) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        for _ in range(3):  # one header line at a time, each well inside the deadline alone
            time.sleep(0.4)
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
        assert _closed_by_server(sock)
    assert httpx.get(f"{bounded.url}/healthz").status_code == 200


def test_a_client_that_sends_nothing_is_disconnected(bounded: Server) -> None:
    with _connect(bounded) as sock:
        assert _closed_by_server(sock)


def test_a_client_that_never_finishes_its_body_is_disconnected_and_nothing_is_recorded(
    bounded: Server,
) -> None:
    body = storm("slow-body")
    with _connect(bounded) as sock:
        head = (
            f"POST /v1/channels/cap/messages HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {bounded.key}\r\n"
            f"Content-Type: application/cap+xml\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body[:100])
        assert _closed_by_server(sock)
    alerts = httpx.get(f"{bounded.url}/v1/alerts", params={"lifecycle": "all"}).json()["items"]
    assert "slow-body" not in {a["origin"]["identifier"] for a in alerts}


def test_headers_over_the_limit_are_refused_and_the_hub_keeps_serving(bounded: Server) -> None:
    """The C parser sets no limit of its own: the guard counts request line and headers."""
    huge = {"x-padding": "a" * (MAX_HEADER_BYTES + 1)}
    assert httpx.get(f"{bounded.url}/healthz", headers=huge).status_code == 400
    assert httpx.get(f"{bounded.url}/healthz", headers={"x-padding": "a" * 8000}).status_code == 200


def test_a_kept_alive_connection_serves_several_requests(bounded: Server) -> None:
    """The deadlines apply to each request, not to the connection's life."""
    with httpx.Client(base_url=bounded.url) as client:
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
            time.sleep(0.6)  # together longer than the header deadline
        assert client.get("/healthz").status_code == 200
