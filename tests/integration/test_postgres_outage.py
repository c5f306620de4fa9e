"""PostgreSQL that is not there: at start the hub names the URL and exits; lost while serving,
writes answer 503, /readyz fails, nothing acknowledged is lost, and the hub recovers by itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from adapters.cap.render import render_cap
from devtools.ports import free_ports
from devtools.postgres_server import PostgresServer
from tests.e2e.conftest import Server
from tests.factories import message
from tests.integration.kafka_helpers import eventually

XML = {"content-type": "application/cap+xml"}


def test_an_unreachable_database_at_start_is_named_without_its_password(tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_ports(1)[0]
    url = f"postgresql://alerthub:s3cret-pw@127.0.0.1:{port}/alerthub"
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "serve", "--log-format", "console"],
        env={"ALERTHUB_DATABASE_URL": url, "ALERTHUB_DATA_DIR": str(tmp_path), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"postgresql://alerthub@127.0.0.1:{port}/alerthub" in output
    assert "s3cret-pw" not in output
    assert "Traceback" not in output


def test_a_database_lost_while_serving_gives_503_and_the_hub_recovers_by_itself(
    postgres: PostgresServer, database_url: str, tmp_path: Path
) -> None:
    server = Server(
        tmp_path / "data",
        tmp_path / "server.log",
        ready_timeout=120,
        ALERTHUB_DATABASE_URL=database_url,
        ALERTHUB_PROJECTION_POLL_INTERVAL="0.1",
    )
    acknowledged: list[str] = []

    def post(i: int) -> httpx.Response:
        body = render_cap(message(f"outage-{i}")).encode()
        answer = httpx.post(
            f"{server.url}/v1/channels/cap/messages",
            content=body,
            headers=XML | {"authorization": f"Bearer {server.key}"},
            timeout=90,
        )
        if answer.status_code == 202:
            acknowledged.append(answer.json()["accepted"][0]["alert_id"])
        return answer

    try:
        assert all(post(i).status_code == 202 for i in range(5))
        postgres.stop(keep_work_dir=True)
        lost = post(5)
        assert lost.status_code == 503, lost.text
        assert lost.headers["content-type"] == "application/problem+json"
        assert lost.json()["reason"] == "database-unreachable"
        assert "Retry-After" in lost.headers
        assert httpx.get(f"{server.url}/readyz", timeout=60).status_code == 503
    finally:
        if not postgres.is_running:
            postgres.start()
    eventually(lambda: httpx.get(f"{server.url}/readyz", timeout=60).status_code == 200, 120)
    assert all(post(i).status_code == 202 for i in range(6, 9))  # nobody restarted the hub
    for alert_id in acknowledged:
        assert httpx.get(f"{server.url}/v1/alerts/{alert_id}", timeout=30).status_code == 200
    assert len(acknowledged) == 8
    server.stop()
