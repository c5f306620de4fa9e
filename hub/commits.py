"""Group commit: messages ingested at the same time are decided and saved in one transaction.

Every HTTP request (and every other transport) ingests in its own thread; one commit each
means one store transaction each, one wake-up of the projector each and one page of one event
for every view. Here the first caller to arrive leads: it takes every message waiting, decides
them one after the other and saves their events in a single transaction, then answers each
waiting caller with its own result. Callers that arrive meanwhile wait for the next batch, which
the leader also runs until its own message is done; then it hands the lead to the next waiter.

What each caller is promised stays as it was alone:

- **Durable before answered**: a caller learns its result only after the transaction holding its
  events has committed.
- **Decided as if alone, in order**: a message is decided on the aggregates it loads. One that
  loads (or writes) an aggregate an earlier message of the same batch writes is deferred to the
  next batch, so it sees that write: per-alert order and idempotency (the same message twice is
  a duplicate, not two alerts) hold exactly as they would one at a time.
- **Its own outcome**: a message refused by the domain fails alone; a store failure fails the
  messages of that transaction only; a conflict with another process's write falls back to
  deciding each message alone (with the usual retries).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

T = TypeVar("T")


@dataclass(eq=False)
class Ticket(Generic[T]):
    """One caller's request: `work` is what the batch runner needs to know about it."""

    work: object
    result: T | None = None
    error: BaseException | None = None
    done: bool = False
    turn: threading.Event = field(default_factory=threading.Event)

    def finish(self, result: T | None = None, error: BaseException | None = None) -> None:
        self.result, self.error, self.done = result, error, True
        self.turn.set()

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return cast(T, self.result)  # finish() set one of the two


Settle = Callable[[list[Ticket[T]]], list[Ticket[T]]]
"""Runs one batch: finishes the tickets it settles, returns those deferred to the next batch."""


class GroupCommit(Generic[T]):
    def __init__(self, settle: Settle[T]) -> None:
        self._settle = settle
        self._lock = threading.Lock()
        self._waiting: list[Ticket[T]] = []
        self._leading = False

    def submit(self, work: object) -> T:
        """Run `work` in the next batch; its result (or its error) once its batch committed."""
        ticket: Ticket[T] = Ticket(work)
        with self._lock:
            self._waiting.append(ticket)
            lead, self._leading = not self._leading, True
        if not lead:
            ticket.turn.wait()  # finished, or handed the lead
        if not ticket.done:
            self._lead(ticket)
        return ticket.outcome()

    def _lead(self, own: Ticket[T]) -> None:
        while True:
            with self._lock:
                batch, self._waiting = self._waiting, []
            try:
                deferred = self._settle(batch)
            except BaseException as exc:  # never leave a caller waiting forever
                deferred = []
                for ticket in batch:
                    if not ticket.done:
                        ticket.finish(error=exc)
            with self._lock:
                self._waiting[:0] = deferred
                if not own.done:
                    continue
                if self._waiting:
                    self._waiting[0].turn.set()  # the next caller leads
                else:
                    self._leading = False
                return
