"""A background loop with exponential back-off, the shape shared by relay, ingress and projector.

`step()` does one unit of work and says how much it did; an exception means the outside world
(a broker, a database) is unwell, so the loop waits longer each time and tries again, and
reports it through `healthy`/`last_error` for /readyz.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)

Lease = Callable[[], bool]  # True while this process may do the work (its peers stand by)


def always() -> bool:
    """The lease of a worker with no peers, or peers coordinated otherwise (a Kafka group)."""
    return True


class Worker(ABC):
    name = "worker"

    def __init__(self, *, idle_wait: float = 0.5, max_backoff: float = 10.0) -> None:
        self.idle_wait, self.max_backoff = idle_wait, max_backoff
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    @abstractmethod
    def step(self) -> int:
        """Do one unit of work; return how many items it handled (0: nothing to do)."""

    def on_error(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Drop connections after a failure so the next step starts clean."""

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def healthy(self) -> bool:
        return self.running and self.last_error is None

    def _loop(self) -> None:
        backoff = 0.0
        while not self._stopping.is_set():
            try:
                busy = self.step()
                self.last_error, backoff = None, 0.0
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                backoff = min(self.max_backoff, max(0.2, backoff * 2))
                log.warning(
                    "worker.failed", worker=self.name, error=self.last_error, retry_in=backoff
                )
                self.on_error()
                self._stopping.wait(backoff)
                continue
            if not busy:
                self._wake.wait(self.idle_wait)
                self._wake.clear()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None
        self.on_error()
