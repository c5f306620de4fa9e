"""The soak's processes: the API, the relay and a projector, started, killed and restarted.

They are what an operator would run in Kafka mode, as separate processes on one data folder;
the soak plays the supervisor that restarts whatever dies.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from bench.core import ROOT
from bench.server import free_port
from domain.partner import ANY, PartnerRights
from domain.provenance import AuthMethod, Provenance
from hub.security.registry import PartnerRegistry
from hub.storage.store import open_sqlite_store

ROLES = {
    "api": ["serve"],
    "relay": ["serve"],
    "projector": ["project"],
}
ROLE_ENV = {
    "api": {"ALERTHUB_RUN_RELAY": "false", "ALERTHUB_RUN_PROJECTOR": "false"},
    "relay": {"ALERTHUB_RUN_PROJECTOR": "false", "ALERTHUB_KAFKA_INGRESS": "false"},
    "projector": {},
}


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


def register_partner(events: Path, name: str = "soak") -> str:
    """Register the load's partner (every channel, any sender) before any process starts; its
    API key. The hub's own local partner stays off: two `serve` processes share the store."""
    store = open_sqlite_store(events)
    try:
        rights = PartnerRights(channels=frozenset({ANY}), senders=frozenset({ANY}))
        by = Provenance(partner="soak", auth_method=AuthMethod.LOCAL, credential="bench.soak")
        return PartnerRegistry(store).add(name, rights, by.to_json())[1]
    finally:
        store.close()


class Processes:
    def __init__(self, work: Path, data: Path, bootstrap: str, *, min_free_mib: int) -> None:
        self.work, self.data = work, data
        self.ports = {"api": free_port(), "relay": free_port()}
        self.env = os.environ | {
            "ALERTHUB_DATA_DIR": str(data),
            "ALERTHUB_KAFKA_BOOTSTRAP": bootstrap,
            "ALERTHUB_MIN_FREE_DISK_MIB": str(min_free_mib),
            "ALERTHUB_READ_YOUR_WRITES_TIMEOUT": "0",
            "ALERTHUB_PROJECTION_POLL_INTERVAL": "0.2",
            "ALERTHUB_LOCAL_PARTNER": "false",
        }
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.last_seen: dict[str, Any] = {}  # what the last catch-up look saw: who lagged

    def url(self, role: str) -> str:
        return f"http://127.0.0.1:{self.ports[role]}"

    def pid(self, role: str) -> int:
        return self.running[role].pid

    def start(self, role: str) -> None:
        env = self.env | ROLE_ENV[role]
        if role in self.ports:
            env["ALERTHUB_PORT"] = str(self.ports[role])
        log = (self.work / f"{role}.log").open("ab")
        self.running[role] = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", *ROLES[role]],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def start_all(self) -> None:
        for role in ("relay", "projector", "api"):  # the relay first creates the topics
            self.start(role)
            if role == "relay":
                self.wait_ready()
        self.wait_ready()

    def kill(self, role: str) -> None:
        process = self.running[role]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.terminate()
        for process in self.running.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def wait_ready(self, timeout: float = 180) -> None:
        """Every process alive and every HTTP one ready; a dead one is restarted."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for role, process in self.running.items():
                if process.poll() is not None:
                    self.start(role)
            if all(self._ready(role) for role in self.ports if role in self.running):
                return
            time.sleep(0.5)
        raise RuntimeError(f"not ready after {timeout} s; logs in {self.work}")

    def _ready(self, role: str) -> bool:
        try:
            return httpx.get(f"{self.url(role)}/readyz", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def wait_caught_up(self, acknowledged: Mapping[str, str], timeout: float) -> bool:
        """Relay and projections at the head and every acknowledged message projected."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.wait_ready()
            if self._caught_up(len(acknowledged)):
                return True
            time.sleep(2)
        return False

    def _caught_up(self, acknowledged: int) -> bool:
        try:
            relay = httpx.get(f"{self.url('relay')}/readyz", timeout=5).json()["checks"]
            api = httpx.get(f"{self.url('api')}/readyz", timeout=5).json()["checks"]
        except (httpx.TransportError, ValueError, KeyError):
            return False
        self.last_seen = {
            "relay_lag": relay.get("relay", {}).get("lag", 1),
            "ingress": api.get("ingress"),
            "projection_lags": api["projections"].get("lag", {"unknown": 1}),
            "views_alerts": self._alerts(),
            "acknowledged": acknowledged,
        }
        lags = [self.last_seen["relay_lag"], *self.last_seen["projection_lags"].values()]
        return not any(lags) and self.last_seen["views_alerts"] >= acknowledged

    def _alerts(self) -> int:
        conn = sqlite3.connect(f"file:{self.data / 'views.sqlite'}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute("SELECT count(*) FROM alerts").fetchone()[0])
        except sqlite3.Error:
            return 0
        finally:
            conn.close()
