"""Keeps projections caught up with an event stream (embedded log or Kafka), in a thread.

Writers `wake()` it after a commit so views follow within milliseconds; it also polls, so events
written by other processes are seen too. `wait_for` gives the HTTP API read-your-writes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence

import structlog

from domain.alert import PersonalDataErased
from hub.worker import Lease, Worker, always
from projections.base import Projection, apply_records, install
from projections.database import ViewDatabase
from projections.stream import EventStream, StreamRecord, lag, reached

log = structlog.get_logger(__name__)

# While a step reads full pages (catching up, rebuilding), each next page is twice as big, up to
# this many times `page_size`: one commit then carries more events per index page it dirties, so
# catching up writes less per event (a 60k-event rebuild of the alerts view: 68 against 97 KiB an
# event, 14 % faster). The cap bounds the memory a page holds; level views keep small pages.
CATCH_UP_GROWTH = 4


class Follower(Worker):
    name = "projector"

    def __init__(
        self,
        stream: EventStream,
        db: ViewDatabase,
        projections: Sequence[Projection],
        *,
        poll_interval: float = 0.5,
        page_size: int = 500,
        lease: Lease = always,
    ) -> None:
        super().__init__(idle_wait=poll_interval)
        self.lease = lease  # several processes on one embedded stream: one applies at a time
        self.stream, self.db, self.projections = stream, db, list(projections)
        self.page_size = page_size
        self._reading = page_size  # the next page's size: see CATCH_UP_GROWTH
        self._scrub_pending = False
        self._advanced = threading.Condition()
        self._applied: dict[str, dict[int, int]] = {}  # what this process's step() applied
        for projection in self.projections:
            install(db, projection, stream.identity)

    def checkpoints(self) -> dict[str, dict[int, int]]:
        return {p.name: self.db.checkpoint(p.name) for p in self.projections}

    def lag(self, head: Mapping[int, int] | None = None) -> dict[str, int]:
        """Per projection, how far behind `head` (asked of the stream when not given)."""
        head = self.stream.head() if head is None else head
        return {name: lag(head, at) for name, at in self.checkpoints().items()}

    def ahead(self, head: Mapping[int, int] | None = None) -> dict[str, list[int]]:
        """Projections whose checkpoint is past the head of a partition, and which partitions.

        A view cannot have applied what the stream does not hold: the topic was recreated or
        truncated under it. Such a view would skip the new events at those offsets, so the hub
        is not ready until it is rebuilt.
        """
        head = self.stream.head() if head is None else head
        found = {
            name: sorted(p for p, pos in at.items() if p in head and pos > head[p])
            for name, at in self.checkpoints().items()
        }
        return {name: partitions for name, partitions in found.items() if partitions}

    def step(self) -> int:
        """Apply one page to every projection; returns how many records were read.

        Projections that are level (the usual case) share one read of the page, and every
        projection's rows and checkpoint commit in one transaction: per-page costs are paid
        once, not once per projection.

        A views file found corrupt is replaced first (`_heal`); the views stop `rebuilding` once
        a step finds nothing more to apply.
        """
        if not self.lease():
            return 0
        self._heal()
        pages: dict[tuple[tuple[int, int], ...], list[StreamRecord]] = {}
        work: list[tuple[Projection, list[StreamRecord]]] = []
        for projection in self.projections:
            at = self.db.checkpoint(projection.name)
            key = tuple(sorted(at.items()))
            if key not in pages:
                pages[key] = self.stream.read(at, self._reading)
            if pages[key]:
                work.append((projection, pages[key]))
        self._reading = self._next_page(max(map(len, pages.values()), default=0))
        if work:
            with self.db.transaction() as conn:
                for projection, page in work:
                    apply_records(conn, self.db, projection, page)
            if any(isinstance(r.event, PersonalDataErased) for _, page in work for r in page):
                self._scrub_pending = True
        if self._scrub_pending:  # before waiters wake: an erasure's old rows leave the WAL first
            self._scrub_pending = not self.db.scrub()  # a reader in the way: next step
        if work:
            with self._advanced:
                for projection, page in work:
                    applied = self._applied.setdefault(projection.name, {})
                    for record in page:
                        applied[record.partition] = max(
                            record.position, applied.get(record.partition, -1)
                        )
                self._advanced.notify_all()
        if not work and self.db.rebuilding:
            self.db.rebuilding = False
            log.info("views.rebuilt", path=str(self.db.path))
        return sum(len(page) for _, page in work)

    def _next_page(self, read: int) -> int:
        """Twice the page just read when it was full (behind), else back to `page_size`."""
        if read < self._reading:
            return self.page_size
        return min(self._reading * 2, self.page_size * CATCH_UP_GROWTH)

    def _heal(self) -> None:
        """Replace a views file found corrupt (`ViewDatabase.heal`); the projections then start
        again from the beginning of the stream."""
        if self.db.heal():
            with self._advanced:
                self._applied.clear()  # what was applied went with the old file
            for projection in self.projections:
                install(self.db, projection)

    def catch_up(self) -> None:
        """Apply everything recorded so far (the CLI and tests use this)."""
        while self.step():
            pass

    def wait_for(self, target: Mapping[int, int], timeout: float) -> bool:
        """Block until every projection has applied `target` (read-your-writes).

        Woken at once by this process's projector, which says in memory what it applied (a
        wake-up costs no query), and reading the views' checkpoints when 20 ms pass without
        one, so it also works when the projections run in another process.
        """
        deadline = time.monotonic() + timeout
        with self._advanced:
            ask = len(self._applied) < len(self.projections)
            while True:
                at = self.checkpoints() if ask else self._applied
                if len(at) == len(self.projections) and all(
                    reached(c, target) for c in at.values()
                ):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                ask = not self._advanced.wait(min(remaining, 0.02))
