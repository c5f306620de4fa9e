"""As a new user would: each Dutch system publishes natively and reads its own view over HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from domain.identity import alert_id as alert_id_of
from tests.conftest import EXAMPLES
from tests.e2e.conftest import Server

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A hub of its own: these tests count what is in each view."""
    folder = tmp_path_factory.mktemp("channels")
    running = Server(folder / "data", folder / "server.log")
    yield running
    running.stop()


def post(client: httpx.Client, channel: str, path: Path) -> httpx.Response:
    response = client.post(
        f"/v1/channels/{channel}/messages", content=path.read_bytes(), headers=JSON
    )
    assert response.status_code == 202, response.text
    return response


def view(client: httpx.Client, channel: str, **params: str) -> list[dict]:  # type: ignore[type-arg]
    response = client.get(f"/v1/views/{channel}", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def test_every_channel_is_installed(client: httpx.Client) -> None:
    names = {c["name"] for c in client.get("/v1/channels").json()["items"]}
    assert {"cap", "nlalert", "amber", "burgernet"} <= names


def test_burgernet_snapshots_are_one_alert_that_ends_as_stated(client: httpx.Client) -> None:
    folder = EXAMPLES / "burgernet"
    snapshots = sorted(folder.glob("0[123]-*.json"))
    ids = {
        a["alert_id"] for p in snapshots for a in post(client, "burgernet", p).json()["accepted"]
    }
    assert len(ids) == 1
    alert = client.get(f"/v1/alerts/{ids.pop()}").json()
    assert alert["lifecycle"] == "ended"
    assert alert["ended"]["outcome"] == "found"
    versions = alert["version"]
    again = post(client, "burgernet", snapshots[-1]).json()
    assert again["accepted"] == []
    assert again["duplicates"] >= 1
    assert client.get(f"/v1/alerts/{alert['alert_id']}").json()["version"] == versions
    ended = [
        i
        for i in view(client, "burgernet", lifecycle="ended")
        if i["alert_id"] == alert["alert_id"]
    ]
    assert ended
    assert ended[0]["native"]["active"] is False


def test_amber_alert_shows_in_its_own_and_the_burgernet_view(client: httpx.Client) -> None:
    accepted = post(client, "amber", EXAMPLES / "amber" / "01-amber-alert-national.json").json()
    alert_id = accepted["accepted"][0]["alert_id"]
    # the example of 2025 has no expires: past its assumed expiry (default lifetime), so "all"
    amber = {i["alert_id"]: i for i in view(client, "amber", lifecycle="all")}
    assert amber[alert_id]["native"]["AlertId"] == "1001"
    burgernet = {i["alert_id"]: i for i in view(client, "burgernet", lifecycle="all")}
    assert burgernet[alert_id]["native"]["amberAlert"] is True


def test_national_test_message_is_kept_but_not_in_the_public_view(client: httpx.Client) -> None:
    accepted = post(client, "nlalert", EXAMPLES / "nlalert" / "national-test-item.json").json()
    alert_id = accepted["accepted"][0]["alert_id"]
    assert client.get(f"/v1/alerts/{alert_id}").json()["status"] == "Test"
    assert alert_id not in {i["alert_id"] for i in view(client, "nlalert", lifecycle="all")}


def test_nlalert_view_carries_cell_broadcast_and_cap(client: httpx.Client) -> None:
    accepted = post(client, "nlalert", EXAMPLES / "nlalert" / "fire-smoke-item.json").json()
    alert_id = accepted["accepted"][0]["alert_id"]
    item = {i["alert_id"]: i for i in view(client, "nlalert", lifecycle="all")}[alert_id]["native"]
    assert item["cell_broadcast"]["fits"] is True
    assert item["cap"].startswith("<?xml")


def test_as_of_between_first_message_and_update_shows_the_first(client: httpx.Client) -> None:
    post(client, "nlalert", EXAMPLES / "nlalert" / "fire-smoke-item.json")
    alert_id = str(alert_id_of("nlalert:f3b1c0de-7a2e-4c1b-9d55-1a2b3c4d5e6f"))
    before_update = datetime.now(UTC)
    post(client, "nlalert", EXAMPLES / "nlalert" / "fire-smoke-update.json")
    now = client.get(f"/v1/alerts/{alert_id}").json()
    then = client.get(f"/v1/alerts/{alert_id}", params={"as_of": before_update.isoformat()}).json()
    assert then["version"] < now["version"]
    assert then["info"][0]["description"] != now["info"][0]["description"]
    earlier = (before_update - timedelta(days=365)).isoformat()
    assert client.get(f"/v1/alerts/{alert_id}", params={"as_of": earlier}).status_code == 404
    listed = client.get(
        "/v1/alerts", params={"as_of": before_update.isoformat(), "lifecycle": "all"}
    )
    assert alert_id in {a["alert_id"] for a in listed.json()["items"]}


def test_incidents_group_alerts_by_cap_incidents(client: httpx.Client) -> None:
    base = (EXAMPLES / "cap" / "a2-severe-thunderstorm.xml").read_bytes()
    first = base.replace(b"KSTO1055887203", b"INC-1").replace(
        b"<scope>Public</scope>", b"<scope>Public</scope><incidents>storm-2025</incidents>"
    )
    second = first.replace(b"INC-1", b"INC-2").replace(b"KSTO@NWS.NOAA.GOV", b"other@example.nl")
    ids = []
    for body in (first, second):
        response = client.post(
            "/v1/channels/cap/messages",
            content=body,
            headers={"content-type": "application/cap+xml"},
        )
        assert response.status_code == 202, response.text
        ids.append(response.json()["accepted"][0]["alert_id"])
    incidents = client.get("/v1/incidents", params={"lifecycle": "all"}).json()["items"]
    (storm,) = [i for i in incidents if "storm-2025" in i["incidents"]]
    assert {a["alert_id"] for a in storm["alerts"]} == set(ids)
    one = client.get(f"/v1/incidents/{storm['incident_id']}").json()
    assert one["incident_id"] == storm["incident_id"]
    assert client.get("/v1/incidents/00000000-0000-0000-0000-000000000000").status_code == 404


@pytest.mark.parametrize("channel", ["nlalert", "amber", "burgernet"])
@pytest.mark.parametrize(
    ("body", "status"),
    [(b"{", 400), (b"[1, 2", 400), (b"\xff\xfe\x00", 400), (b'{"x": 1}', 422), (b"null", 422)],
)
def test_bad_json_is_a_problem_and_writes_nothing(
    client: httpx.Client, channel: str, body: bytes, status: int
) -> None:
    before = client.get("/readyz").json()["checks"]["store"]["position"]
    response = client.post(f"/v1/channels/{channel}/messages", content=body, headers=JSON)
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]
    assert client.get("/readyz").json()["checks"]["store"]["position"] == before
    _ = status, json  # the split between 400 and 422 is each channel's; both are clear problems
