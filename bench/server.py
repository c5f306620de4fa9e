"""Servers the benchmarks drive over real loopback HTTP, each a process on a free port.

`HubServer` is `alerthub serve` as partners and the e2e tests meet it, so uvicorn, FastAPI, the
API key check and the JSON access log are all paid for, as in production. Writes are made as the
partner `local`, whose key the first start of a fresh data directory writes there. `FloorServer`
is the framework floor of `bench.floor` on the same server stack. Both log to a file.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from bench.core import ROOT
from hub.security.local import KEY_FILE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A process serving HTTP on `self.url`, ready once `ready_path` answers 200.

    `command(port)` is the Python command line (after the interpreter) and `env(port)` the
    variables added to this process's environment.
    """

    ready_path = "/"

    def __init__(
        self,
        folder: Path,
        command: Callable[[int], Sequence[str]],
        env: Callable[[int], dict[str, str]],
    ) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "server.log"
        self.headers: dict[str, str] = {}  # what every request of a client must carry
        self.process = subprocess.Popen(
            [sys.executable, *command(self.port)],
            cwd=ROOT,
            env=os.environ | env(self.port),
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def __enter__(self) -> Self:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}{self.ready_path}", timeout=1).status_code == 200:
                    self.ready()
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not ready: {self.log.read_text()[-2000:]}")

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def ready(self) -> None:
        """Called once the server answers: learn what clients need (credentials)."""

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class HubServer(Server):
    """A running hub: `with HubServer(folder, "--workers", "2", ALERTHUB_X="y") as s: s.url`."""

    ready_path = "/readyz"

    def __init__(self, folder: Path, *args: str, **env: str) -> None:
        self.data = folder / "data"
        super().__init__(
            folder,
            lambda _: ["-m", "hub.cli", "serve", *args],
            lambda port: {"ALERTHUB_DATA_DIR": str(self.data), "ALERTHUB_PORT": str(port), **env},
        )

    def ready(self) -> None:
        key = (self.data / KEY_FILE).read_text().strip()
        self.headers = {"authorization": f"Bearer {key}"}
