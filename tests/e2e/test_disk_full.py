"""A full disk on the running service: writes get 503 with a reason, /readyz fails, it heals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools.diskfull import MIB, fill, small_disk
from tests.conftest import EXAMPLES
from tests.e2e.conftest import Server
from tests.integration.test_subscriptions import Receiver

THUNDERSTORM = (EXAMPLES / "cap" / "a2-severe-thunderstorm.xml").read_bytes()
XML = {"content-type": "application/cap+xml"}


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with small_disk(tmp_path_factory.mktemp("disk") / "mnt", size_mib=16) as mounted:
        yield mounted


@pytest.fixture(scope="module")
def server(disk: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("disk-log") / "server.log"
    running = Server(
        disk / "data", log, ALERTHUB_MIN_FREE_DISK_MIB="4", ALERTHUB_WEBHOOK_ALLOW_PRIVATE="true"
    )
    yield running
    running.stop()


def post(client: httpx.Client, identifier: str) -> httpx.Response:
    body = THUNDERSTORM.replace(b"KSTO1055887203", identifier.encode())
    return client.post("/v1/channels/cap/messages", content=body, headers=XML)


def identifiers(client: httpx.Client) -> list[str]:
    items = client.get("/v1/alerts", params={"lifecycle": "all"}).json()["items"]
    return sorted(a["origin"]["identifier"] for a in items)


def subscription(webhook: str) -> dict[str, Any]:
    return {"area": {"geocode": "GM0307"}, "target": {"webhook": webhook}}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver([])
    yield running
    running.close()


def test_full_disk_refuses_writes_honestly_and_heals_by_itself(
    server: Server, disk: Path, receiver: Receiver
) -> None:
    with server.client(timeout=10) as client:
        assert post(client, "before").status_code == 202
        filler = fill(disk, leave_bytes=2 * MIB)

        refused = post(client, "during")
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) > 0
        assert refused.json()["reason"] == "disk-full"
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["storage"] == {
            "ok": False,
            "reason": "disk-full",
            "free_bytes": ready.json()["checks"]["storage"]["free_bytes"],
        }
        assert client.get("/healthz").status_code == 200  # alive, only not ready
        assert identifiers(client) == ["before"]  # reads go on
        subscribing = client.post("/v1/subscriptions", json=subscription(receiver.url))
        assert subscribing.status_code == 503, subscribing.text  # the subscriptions' file too
        assert subscribing.json()["reason"] == "disk-full"
        assert int(subscribing.headers["retry-after"]) > 0
        assert client.get("/v1/subscriptions").json()["items"] == []  # a partner still reads

        filler.unlink()  # the operator frees room; nothing else is done to the hub
        assert client.get("/readyz").status_code == 200
        assert post(client, "after").status_code == 202
        assert identifiers(client) == ["after", "before"]
        subscribing = client.post("/v1/subscriptions", json=subscription(receiver.url))
        assert subscribing.status_code == 201, subscribing.text
