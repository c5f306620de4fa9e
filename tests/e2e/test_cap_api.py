"""As a new user would: post the CAP 1.2 examples to a running hub and read them back over HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import EXAMPLES
from tests.e2e.conftest import Server

CAP = sorted((EXAMPLES / "cap").glob("*.xml"))
HOSTILE = sorted((Path(__file__).parents[1] / "fixtures" / "cap" / "hostile").glob("*.xml"))
XML = {"content-type": "application/cap+xml"}


def post(client: httpx.Client, body: bytes, headers: dict[str, str] = XML) -> httpx.Response:
    return client.post("/v1/channels/cap/messages", content=body, headers=headers)


def assert_problem(response: httpx.Response, status: int) -> dict:  # type: ignore[type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["detail"]
    return body  # type: ignore[no-any-return]


@pytest.mark.parametrize("path", CAP, ids=lambda p: p.name)
def test_spec_example_is_accepted_and_reads_back_whole(client: httpx.Client, path: Path) -> None:
    """202, then GET shows the alert with every info block; events list its history."""
    response = post(client, path.read_bytes())
    assert response.status_code == 202, response.text
    accepted = response.json()["accepted"]
    assert len(accepted) == 1
    alert_id = accepted[0]["alert_id"]
    alert = client.get(f"/v1/alerts/{alert_id}").json()
    assert len(alert["info"]) == path.read_bytes().count(b"<info>")
    assert alert["origin"]["channel"] == "cap"
    events = client.get(f"/v1/alerts/{alert_id}/events").json()["items"]
    assert events[0]["type"] == "AlertIssued"


def test_posting_again_is_a_duplicate_and_adds_no_version(client: httpx.Client) -> None:
    body = CAP[1].read_bytes()
    first = post(client, body)
    assert first.status_code == 202
    alerts = client.get("/v1/alerts", params={"lifecycle": "all"}).json()["items"]
    versions = {a["alert_id"]: a["version"] for a in alerts}
    again = post(client, body)
    assert again.status_code == 202
    assert again.json()["accepted"] == []
    assert again.json()["duplicates"] == 1
    assert again.json()["signature"]["verdict"] == "absent"
    alerts = client.get("/v1/alerts", params={"lifecycle": "all"}).json()["items"]
    assert {a["alert_id"]: a["version"] for a in alerts} == versions


def test_lifecycle_filters(client: httpx.Client) -> None:
    """The 2003 examples with `expires` read as expired; the default lists only active ones."""
    for path in CAP:
        post(client, path.read_bytes())
    everything = client.get("/v1/alerts", params={"lifecycle": "all"}).json()["items"]
    active = client.get("/v1/alerts").json()["items"]
    expired = client.get("/v1/alerts", params={"lifecycle": "expired"}).json()["items"]
    assert len(everything) == len(CAP)
    assert {a["lifecycle"] for a in active} <= {"active"}
    assert {a["lifecycle"] for a in expired} == {"expired"}
    assert len(active) + len(expired) == len(everything)


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.name)
def test_hostile_input_gets_a_problem_and_writes_nothing(client: httpx.Client, path: Path) -> None:
    before = client.get("/readyz").json()["checks"]["store"]["position"]
    response = post(client, path.read_bytes())
    problem = assert_problem(response, 400 if response.status_code == 400 else 422)
    assert problem["errors"][0]["location"].startswith("alert")
    assert client.get("/readyz").json()["checks"]["store"]["position"] == before
    assert client.get("/healthz").status_code == 200


def test_body_over_the_limit_is_413(client: httpx.Client, server: Server) -> None:
    assert_problem(post(client, b"<" * (64 * 1024 + 1)), 413)


def test_streamed_body_over_the_limit_is_413(client: httpx.Client) -> None:
    """A chunked body without Content-Length is cut off as soon as it passes the limit."""

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(100):
            yield b"x" * 4096

    assert_problem(post(client, chunks()), 413)  # type: ignore[arg-type]


def test_wrong_media_type_is_415(client: httpx.Client) -> None:
    problem = assert_problem(post(client, CAP[0].read_bytes(), {"content-type": "text/plain"}), 415)
    assert problem["errors"][0]["location"] == "Content-Type"


def test_unknown_channel_is_404(client: httpx.Client) -> None:
    response = client.post("/v1/channels/nope/messages", content=b"x", headers=XML)
    assert_problem(response, 404)


def test_unknown_alert_is_404_and_bad_id_is_400(client: httpx.Client) -> None:
    assert_problem(client.get("/v1/alerts/00000000-0000-0000-0000-000000000000"), 404)
    assert_problem(client.get("/v1/alerts/not-a-uuid"), 400)
    assert_problem(client.get("/v1/alerts", params={"lifecycle": "sometimes"}), 400)


def test_update_after_cancel_is_409(client: httpx.Client) -> None:
    original = CAP[1].read_bytes()
    post(client, original)
    cancel = (
        original.replace(b"<msgType>Alert</msgType>", b"<msgType>Cancel</msgType>")
        .replace(b"KSTO1055887203", b"KSTO-cancel")
        .replace(
            b"<scope>Public</scope>",
            b"<scope>Public</scope><references>KSTO@NWS.NOAA.GOV,KSTO1055887203,"
            b"2003-06-17T14:57:00-07:00</references>",
        )
    )
    assert post(client, cancel).status_code == 202, post(client, cancel).text
    update = (
        cancel.replace(b"<msgType>Cancel</msgType>", b"<msgType>Update</msgType>")
        .replace(b"KSTO-cancel", b"KSTO-late-update")
        .replace(b"2003-06-17T14:57:00-07:00</sent>", b"2003-06-17T16:57:00-07:00</sent>")
    )
    assert_problem(post(client, update), 409)


def test_channels_health_metrics_and_request_ids(client: httpx.Client) -> None:
    post(client, CAP[0].read_bytes())  # so there is an accepted message to count
    channels = client.get("/v1/channels").json()["items"]
    assert {
        "name": "cap",
        "media_types": ["application/cap+xml", "application/xml", "text/xml"],
    } in channels
    response = client.get("/healthz", headers={"x-request-id": "trace-me"})
    assert response.headers["x-request-id"] == "trace-me"
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    metrics = client.get("/metrics").text
    assert "alerthub_projection_lag" in metrics
    assert 'alerthub_messages_total{channel="cap",outcome="accepted"}' in metrics
    assert client.get("/openapi.json").json()["paths"]["/v1/alerts"]


def test_service_survives_a_volley_of_garbage(client: httpx.Client) -> None:
    """No input makes the service answer 500 or stop."""
    bodies = [
        b"\x00" * 100,
        b"<?xml version='1.0'?>",
        "<alert>é</alert>".encode("latin-1"),
        b"<" * 1000,
        b"{}",
        CAP[0].read_bytes()[:200],
    ]
    for body in bodies:
        assert post(client, body).status_code in (400, 422)
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    "path", ["/v1/alerts", "/v1/incidents", "/v1/views/cap", "/v1/alerts/{alert}/events"]
)
def test_every_list_is_paged_by_a_cursor(client: httpx.Client, path: str) -> None:
    """`limit` items and a `next` cursor; following `next` walks the list; a forged one is 400."""
    alerts = client.get("/v1/alerts", params={"lifecycle": "all"}).json()["items"]
    assert len(alerts) >= 2
    path = path.format(alert=alerts[0]["alert_id"])
    everything = client.get(path, params={"lifecycle": "all", "limit": 1000}).json()
    assert everything["next"] is None
    walked, cursor = [], None
    while True:
        params = {"lifecycle": "all", "limit": 1} | ({"cursor": cursor} if cursor else {})
        page = client.get(path, params=params).json()
        assert len(page["items"]) <= 1
        walked += page["items"]
        if (cursor := page["next"]) is None:
            break
    assert walked == everything["items"]
    forged = client.get(path, params={"cursor": "bm90IGEgY3Vyc29y"})
    assert forged.status_code == 400
    assert forged.headers["content-type"] == "application/problem+json"
    assert "cursor" in forged.json()["detail"]
