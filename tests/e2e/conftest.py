"""The running service: `alerthub serve` started as a real process on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


STARTED: list[Server] = []  # every server a test started, stopped at the end of the run


class Server:
    """One `alerthub serve`; on first start it creates the local partner, whose key it keeps."""

    def __init__(
        self, data_dir: Path, log: Path, *args: str, ready_timeout: float = 120, **env: str
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        environment = (
            os.environ
            | {
                "ALERTHUB_DATA_DIR": str(data_dir),
                "ALERTHUB_PORT": str(self.port),
                "ALERTHUB_MAX_BODY_BYTES": str(64 * 1024),
            }
            | env
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "serve", *args],
            env=environment,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        STARTED.append(self)
        try:
            self._wait_ready(ready_timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float = 120) -> None:
        """Bounded, generously: on a loaded 2-core machine a cold start can take a minute."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready: {self.log.read_text()[-2000:]}")

    @property
    def key(self) -> str:
        """The local partner's API key, as the hub wrote it to its data directory."""
        return (self.data_dir / "local-partner.key").read_text().strip()

    def client(self, key: str | None = None, **options: Any) -> httpx.Client:
        """An HTTP client that authenticates as the local partner (or with `key`)."""
        headers = {"authorization": f"Bearer {key or self.key}"}
        return httpx.Client(**({"base_url": self.url, "timeout": 10, "headers": headers} | options))

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def add_partner(server: Server, name: str, *options: str) -> str:
    """`alerthub partners add` on the running hub's data directory; returns the printed key."""
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "partners", "add", name, *options],
        env={"ALERTHUB_DATA_DIR": str(server.data_dir), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("server")
    running = Server(folder / "data", folder / "server.log")
    yield running
    running.stop()


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c
