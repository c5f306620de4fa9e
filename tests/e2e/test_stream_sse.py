"""`GET /v1/stream` on the running service: every event as server-sent events, resumable by id."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import EXAMPLES
from tests.e2e.conftest import Server

JSON = {"content-type": "application/json"}
CAP = {"content-type": "application/cap+xml"}
SSE = dict[str, Any]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A hub of its own: these tests count every event on the stream."""
    folder = tmp_path_factory.mktemp("stream")
    running = Server(folder / "data", folder / "server.log")
    yield running
    running.stop()


def post(client: httpx.Client, channel: str, path: Path) -> list[tuple[str, int]]:
    """POST a native message; the (alert id, version) of every event it recorded."""
    headers = CAP if channel == "cap" else JSON
    response = client.post(
        f"/v1/channels/{channel}/messages", content=path.read_bytes(), headers=headers
    )
    assert response.status_code == 202, response.text
    return [(a["alert_id"], e["version"]) for a in response.json()["accepted"] for e in a["events"]]


@pytest.fixture(scope="module")
def posted(server: Server) -> list[tuple[str, int]]:
    files = [("amber", p) for p in sorted((EXAMPLES / "amber").glob("0*.json"))]
    files += [("cap", p) for p in sorted((EXAMPLES / "cap").glob("*.xml"))]
    with server.client() as client:
        return [event for channel, path in files for event in post(client, channel, path)]


def read_events(response: httpx.Response, count: int | None = None) -> list[SSE]:
    """Parse server-sent events until `count` events (or the end of the response)."""
    events: list[SSE] = []
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if line.startswith(":"):
            continue
        if line:
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
            continue
        if "data" in fields:
            events.append({**fields, "data": json.loads(fields["data"])})
            if count is not None and len(events) == count:
                break
        fields = {}
    return events


def keys(events: list[SSE]) -> list[tuple[str, int]]:
    return [(e["data"]["alert_id"], e["data"]["version"]) for e in events]


def in_order_per_alert(events: list[tuple[str, int]]) -> bool:
    versions: dict[str, list[int]] = {}
    for alert, version in events:
        versions.setdefault(alert, []).append(version)
    return all(v == list(range(1, len(v) + 1)) for v in versions.values())


def test_from_the_beginning_every_event_arrives_in_order_per_alert(
    client: httpx.Client, posted: list[tuple[str, int]]
) -> None:
    headers = {"Last-Event-ID": "0"}
    with client.stream("GET", "/v1/stream", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = read_events(response, len(posted))
    assert sorted(keys(events)) == sorted(posted)
    assert in_order_per_alert(keys(events))
    for event in events:
        assert event["event"] == event["data"]["event_type"]
        assert event["id"].startswith("0:")


def test_resuming_from_an_id_gives_only_later_events(
    client: httpx.Client, posted: list[tuple[str, int]]
) -> None:
    params = {"follow": "false"}
    with client.stream("GET", "/v1/stream", headers={"Last-Event-ID": "0"}, params=params) as r:
        everything = read_events(r)
    assert keys(everything) == keys(everything[: len(posted)])
    middle = everything[3]["id"]
    with client.stream("GET", "/v1/stream", headers={"Last-Event-ID": middle}, params=params) as r:
        later = read_events(r)
    assert keys(later) == keys(everything[4:])
    with client.stream("GET", "/v1/stream", params=params | {"last_event_id": middle}) as r:
        assert keys(read_events(r)) == keys(everything[4:])


def test_without_an_id_the_stream_is_a_live_tail(
    client: httpx.Client, server: Server, posted: list[tuple[str, int]]
) -> None:
    with client.stream("GET", "/v1/stream") as response:
        assert response.status_code == 200  # the head is fixed once the headers are sent
        got: list[SSE] = []
        reader = threading.Thread(target=lambda: got.extend(read_events(response, 1)))
        reader.start()
        path = EXAMPLES / "burgernet" / "01-vermissing-start.json"
        with server.client() as other:
            new = post(other, "burgernet", path)
        reader.join(timeout=10)
    assert keys(got) == new[:1]


@pytest.mark.parametrize("bad", ["x", "0:", "1:2,1:3", "-1:4", "0:1;", "9" * 40])
def test_a_malformed_last_event_id_is_a_400_problem(client: httpx.Client, bad: str) -> None:
    response = client.get("/v1/stream", headers={"Last-Event-ID": bad})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert "Last-Event-ID" in response.json()["detail"]
    assert client.get("/v1/stream", params={"last_event_id": bad}).status_code == 400


def test_the_server_stops_reading_when_the_client_goes(
    client: httpx.Client, server: Server, posted: list[tuple[str, int]]
) -> None:
    closed_before = server.log.read_text().count('"stream.closed"')
    with client.stream("GET", "/v1/stream", headers={"Last-Event-ID": "0"}) as response:
        read_events(response, 1)
    deadline = time.monotonic() + 10
    while server.log.read_text().count('"stream.closed"') == closed_before:
        assert time.monotonic() < deadline, "the stream kept running after the client left"
        time.sleep(0.1)


def test_the_stream_is_in_the_openapi_document(client: httpx.Client) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/stream"]["get"]
    assert "text/event-stream" in operation["responses"]["200"]["content"]
    assert {p["name"] for p in operation["parameters"]} >= {"last-event-id", "last_event_id"}
