"""`/v1/subscriptions` over real HTTP: only partners subscribe, a webhook must answer its challenge,
each partner sees its own, and a matching alert is delivered signed to the receiver."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.integration.test_subscriptions import Receiver

BURGERNET = Path("examples/messages/burgernet/01-vermissing-start.json")


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("subscriptions")
    server = Server(folder / "data", folder / "server.log", ALERTHUB_WEBHOOK_ALLOW_PRIVATE="true")
    yield server
    server.stop()


def test_anonymous_cannot_subscribe(hub: Server) -> None:
    body = {"area": {"geocode": "GM0307"}, "target": {"webhook": "https://example.org/h"}}
    response = httpx.post(f"{hub.url}/v1/subscriptions", json=body)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_bad_area_is_a_problem_naming_it(hub: Server) -> None:
    with hub.client() as client:
        body = {"area": {"geocode": "GM9999"}, "target": {"webhook": "https://example.org/h"}}
        response = client.post("/v1/subscriptions", json=body)
    assert response.status_code == 422
    assert "GM9999" in response.text


def test_subscribe_receive_pause_and_delete(hub: Server) -> None:
    receiver = Receiver([])
    try:
        with hub.client() as client:
            body = {"area": {"geocode": "GM0307"}, "target": {"webhook": receiver.url}}
            created = client.post("/v1/subscriptions", json=body)
            assert created.status_code == 201, created.text
            sub = created.json()
            assert sub["state"] == "active"
            assert sub["secret"].startswith("whsec_")
            receiver.secret = sub["secret"]
            listed = client.get("/v1/subscriptions").json()["items"]
            assert sub["subscription_id"] in {s["subscription_id"] for s in listed}
            posted = client.post(
                "/v1/channels/burgernet/messages",
                content=BURGERNET.read_bytes(),
                headers={"content-type": "application/json"},
            )
            assert posted.status_code == 202, posted.text
            deadline = time.monotonic() + 60
            while not receiver.accepted and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(receiver.accepted) == 1
            path = f"/v1/subscriptions/{sub['subscription_id']}"
            history = client.get(f"{path}/deliveries").json()["items"]
            assert history[0]["event_type"] == "AlertIssued"
            assert client.post(f"{path}/pause").json()["state"] == "paused"
            assert client.delete(path).status_code == 204
            assert client.get(path).status_code == 404
    finally:
        receiver.close()
