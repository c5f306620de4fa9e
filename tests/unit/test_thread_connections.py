"""One connection per thread: opened once, reached by close, replaced after forget."""

from __future__ import annotations

import threading

from projections.connections import ThreadConnections


class FakeConnection:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def opened_in_thread(pool: ThreadConnections[FakeConnection]) -> FakeConnection:
    found: list[FakeConnection] = []
    thread = threading.Thread(target=lambda: found.append(pool.get()))
    thread.start()
    thread.join()
    return found[0]


def test_each_thread_keeps_its_own_connection() -> None:
    pool = ThreadConnections(FakeConnection)
    mine = pool.get()
    assert pool.get() is mine
    assert opened_in_thread(pool) is not mine


def test_close_reaches_every_thread_and_a_later_use_reopens() -> None:
    pool = ThreadConnections(FakeConnection)
    mine, theirs = pool.get(), opened_in_thread(pool)
    pool.close()
    assert (mine.closed, theirs.closed) == (1, 1)
    again = pool.get()
    assert again is not mine
    assert again.closed == 0


def test_forget_leaves_each_connection_to_its_thread_to_close() -> None:
    pool = ThreadConnections(FakeConnection)
    mine = pool.get()
    pool.forget()
    assert mine.closed == 0  # another thread may be using it right now
    fresh = pool.get()
    assert fresh is not mine
    assert mine.closed == 1
