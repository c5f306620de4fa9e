"""Keeps projections caught up with an event stream (embedded log or Kafka), in a thread.

Writers `wake()` it after a commit so views follow within milliseconds; it also polls, so events
written by other processes are seen too. `wait_for` gives the HTTP API read-your-writes.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import structlog

from projections.base import Projection, apply_page, install
from projections.database import ViewDatabase
from projections.stream import EventStream, lag, reached

log = structlog.get_logger(__name__)


class Follower:
    def __init__(
        self,
        stream: EventStream,
        db: ViewDatabase,
        projections: Sequence[Projection],
        *,
        poll_interval: float = 0.5,
        page_size: int = 500,
    ) -> None:
        self.stream, self.db, self.projections = stream, db, list(projections)
        self.poll_interval, self.page_size = poll_interval, page_size
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._advanced = threading.Condition()
        self._thread: threading.Thread | None = None
        for projection in self.projections:
            install(db, projection)

    def checkpoints(self) -> dict[str, dict[int, int]]:
        return {p.name: self.db.checkpoint(p.name) for p in self.projections}

    def lag(self) -> dict[str, int]:
        head = self.stream.head()
        return {name: lag(head, at) for name, at in self.checkpoints().items()}

    def run_once(self) -> int:
        """Apply one page to every projection; returns how many records were applied."""
        applied = 0
        for projection in self.projections:
            page = self.stream.read(self.db.checkpoint(projection.name), self.page_size)
            if page:
                applied += apply_page(self.db, projection, page) or len(page)
        if applied:
            with self._advanced:
                self._advanced.notify_all()
        return applied

    def catch_up(self) -> None:
        """Apply everything recorded so far (the CLI and tests use this)."""
        while self.run_once():
            pass

    def wait_for(self, target: Mapping[int, int], timeout: float) -> bool:
        """Block until every projection has applied `target` (read-your-writes)."""
        with self._advanced:
            return self._advanced.wait_for(
                lambda: all(reached(at, target) for at in self.checkpoints().values()), timeout
            )

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="projector", daemon=True)
            self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                while self.run_once() and not self._stopping.is_set():
                    pass
            except Exception:
                log.exception("projector.page_failed")
            self._wake.wait(self.poll_interval)
            self._wake.clear()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
