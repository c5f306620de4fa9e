"""The embedded stream: projections follow the store's notification log in-process.

A background thread reads pages of notifications past each projection's position and applies
them (rows + position in one transaction). Writers `wake()` it after a commit so views follow
within milliseconds; it also polls, so writes from other processes are seen too.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import structlog

from hub.store import EventStore
from projections.base import Positioned, Projection, apply_page, install
from projections.database import ViewDatabase

log = structlog.get_logger(__name__)


class Follower:
    """Keeps a set of projections caught up with the event store."""

    def __init__(
        self,
        store: EventStore,
        db: ViewDatabase,
        projections: Sequence[Projection],
        *,
        poll_interval: float = 0.5,
        page_size: int = 500,
    ) -> None:
        self.store, self.db, self.projections = store, db, list(projections)
        self.poll_interval, self.page_size = poll_interval, page_size
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._advanced = threading.Condition()
        self._thread: threading.Thread | None = None
        for projection in self.projections:
            install(db, projection)

    def positions(self) -> dict[str, int]:
        return {p.name: self.db.position(p.name) for p in self.projections}

    def lag(self) -> dict[str, int]:
        head = self.store.max_position()
        return {name: head - pos for name, pos in self.positions().items()}

    def run_once(self) -> int:
        """Apply one page to every projection; returns how many events were applied in total."""
        applied = 0
        for projection in self.projections:
            start = self.db.position(projection.name)
            page = self._page(start)
            if page:
                applied += len(page)
                apply_page(self.db, projection, page)
        if applied:
            with self._advanced:
                self._advanced.notify_all()
        return applied

    def _page(self, after: int) -> list[Positioned]:
        notifications = self.store.recorder.select_notifications(
            start=after, limit=self.page_size, inclusive_of_start=False
        )
        return [(n.id, self.store.mapper.to_domain_event(n)) for n in notifications]

    def catch_up(self) -> None:
        """Apply everything recorded so far (used by the CLI and tests)."""
        while self.run_once():
            pass

    def wait_for(self, position: int, timeout: float) -> bool:
        """Block until every projection has reached `position` (read-your-writes)."""
        with self._advanced:
            return self._advanced.wait_for(
                lambda: min(self.positions().values(), default=position) >= position, timeout
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
