"""Several processes, one hub: two API processes and two projectors on one PostgreSQL database and
one Kafka cluster. One of each is killed with SIGKILL mid-load; every acknowledged message is then
in every view exactly once, and a 202 from either API process is visible from the other at once."""

from __future__ import annotations

import base64
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.cap.render import render_cap
from devtools.kafka_broker import KafkaBroker
from projections.alerts import AlertQuery, find_alerts
from projections.base import deadletters
from tests.conftest import HubFactory
from tests.e2e.conftest import Server
from tests.factories import T0, later, message
from tests.integration.kafka_helpers import eventually, kafka_settings
from tests.integration.test_projector_group import assigned, projector

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(900)]

XML = {"content-type": "application/cap+xml"}
PER_SENDER = 24


def environment(settings: dict[str, Any]) -> dict[str, str]:
    return {
        f"ALERTHUB_{k.upper()}": str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in settings.items()
    }


class Sender(threading.Thread):
    """Posts alerts and an update of each, to its own API process, to the other once it dies.

    After every 202 it reads the alert back from the other live process: read-your-writes
    across processes. Only acknowledged messages are recorded.
    """

    def __init__(self, name: str, servers: list[Server], first: int) -> None:
        super().__init__(name=name)
        self.servers, self.first = servers, first
        self.acknowledged: dict[str, int] = {}  # alert id -> version acknowledged
        self.identifiers: dict[str, set[str]] = {}  # alert id -> message identifiers
        self.stale_reads: list[str] = []
        self.sent = threading.Event()

    def run(self) -> None:
        for i in range(PER_SENDER):
            original = message(f"{self.name}-{i}", sent=later(i % 50))
            update = message(
                f"{self.name}-{i}-u",
                msg_type="Update",
                sent=later(i % 50 + 1),
                references=[original],
            )
            for msg in (original, update):
                self._post(msg.identifier, render_cap(msg).encode())
            if i == PER_SENDER // 3:
                self.sent.set()

    def _post(self, identifier: str, body: bytes) -> None:
        for attempt in range(2):
            server = self.servers[(self.first + attempt) % 2]
            try:
                answer = httpx.post(
                    f"{server.url}/v1/channels/cap/messages",
                    content=body,
                    headers=XML | {"authorization": f"Bearer {self.servers[0].key}"},
                    timeout=60,
                )
            except httpx.TransportError:
                continue  # that process died under us: nothing acknowledged, try the other
            if answer.status_code != 202:
                continue
            accepted = answer.json()["accepted"]
            if accepted:
                alert_id, version = accepted[0]["alert_id"], accepted[0]["events"][-1]["version"]
                self.acknowledged[alert_id] = max(self.acknowledged.get(alert_id, 0), version)
                self.identifiers.setdefault(alert_id, set()).add(identifier)
                self._read_back(server, alert_id, version)
            return

    def _read_back(self, wrote: Server, alert_id: str, version: int) -> None:
        for server in self.servers:
            if server is wrote or server.process.poll() is not None:
                continue
            try:
                seen = httpx.get(f"{server.url}/v1/alerts/{alert_id}", timeout=10)
            except httpx.TransportError:
                continue
            if seen.status_code != 200 or seen.json()["version"] < version:
                self.stale_reads.append(f"{alert_id} v{version}: {seen.status_code}")


def test_two_api_processes_and_two_projectors_survive_a_kill_of_one_of_each(
    make_hub: HubFactory, kafka: KafkaBroker, database_url: str, tmp_path: Path
) -> None:
    settings = kafka_settings(kafka, kafka_partitions=3, database_url=database_url)
    settings["master_key"] = base64.b64encode(secrets.token_bytes(32)).decode()  # one for all
    hub = make_hub(**settings, run_projector=False, run_relay=False)  # the test's eyes only
    api_env = environment({**settings, "run_projector": False, "read_your_writes_timeout": 90.0})
    servers = [
        Server(tmp_path / f"api{i}", tmp_path / f"api{i}.log", ready_timeout=180, **api_env)
        for i in (0, 1)
    ]
    projectors = [
        projector(settings, tmp_path / f"projector{i}", tmp_path / f"projector{i}.log")
        for i in (0, 1)
    ]
    try:
        logs = [tmp_path / f"projector{i}.log" for i in (0, 1)]
        eventually(lambda: all(assigned(log) for log in logs), timeout=120)  # the group formed
        senders = [Sender("s0", servers, 0), Sender("s1", servers, 1)]
        for sender in senders:
            sender.start()
        senders[0].sent.wait(120)
        servers[0].process.send_signal(signal.SIGKILL)
        projectors[0].send_signal(signal.SIGKILL)
        for sender in senders:
            sender.join(300)
        eventually(lambda: not any(hub.follower.lag().values()), timeout=120)
    finally:
        for proc in [*projectors, *(s.process for s in servers)]:
            proc.terminate()
            proc.wait(timeout=30)

    acknowledged = senders[0].acknowledged | senders[1].acknowledged
    identifiers = senders[0].identifiers | senders[1].identifiers
    assert len(acknowledged) >= PER_SENDER  # the load went on after the kill
    assert senders[0].stale_reads + senders[1].stale_reads == []
    states = {
        str(s.alert_id): s
        for s in find_alerts(hub.views.connect(), AlertQuery(lifecycle=None, limit=1000), T0).items
    }
    assert set(states) >= set(acknowledged)
    for alert_id, version in acknowledged.items():
        kept = [m.identifier for m in states[alert_id].messages]
        assert states[alert_id].version >= version
        assert sorted(kept) == sorted(set(kept))  # each message once
        assert identifiers[alert_id] <= set(kept)
    page = hub.reads.view("cap", None, limit=1000)
    in_cap_view = [item["alert_id"] for item in page.items]
    assert sorted(in_cap_view) == sorted(set(in_cap_view))
    assert set(acknowledged) <= set(in_cap_view)
    assert deadletters(hub.views, "alerts") == deadletters(hub.views, "views") == []


def test_serve_workers_runs_several_api_processes_on_one_port(
    database_url: str, tmp_path: Path
) -> None:
    """`serve --workers 2`: two processes answer on one port; each 202 reads back at once."""
    server = Server(
        tmp_path / "data",
        tmp_path / "workers.log",
        "--workers",
        "2",
        ready_timeout=180,
        ALERTHUB_DATABASE_URL=database_url,
    )
    try:
        for i in range(6):
            with server.client(timeout=60) as client:  # a new connection each
                body = render_cap(message(f"w{i}")).encode()
                posted = client.post("/v1/channels/cap/messages", content=body, headers=XML)
                assert posted.status_code == 202, posted.text
                alert_id = posted.json()["accepted"][0]["alert_id"]
            assert httpx.get(f"{server.url}/v1/alerts/{alert_id}", timeout=30).status_code == 200
    finally:
        server.stop()
    workers = set(re.findall(r"Started server process \[(\d+)\]", server.log.read_text()))
    assert len(workers) == 2


def test_serve_workers_refuses_sqlite(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "serve", "--workers", "2", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "ALERTHUB_DATABASE_URL"},
    )
    assert done.returncode != 0
    assert "ALERTHUB_DATABASE_URL" in done.stdout + done.stderr
