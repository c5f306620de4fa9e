"""One database connection per thread, all closed together.

SQLite connections must not be shared between threads that use them at once, and a psycopg
connection runs one transaction at a time, so every store that is used from API worker threads
and the projector at the same moment keeps one connection per thread. They are remembered so
that `close` reaches every thread's connection, and `forget` makes each thread open a new one
on its next use (the file under them was replaced).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=Closable)


class ThreadConnections(Generic[C]):
    """The calling thread's connection, opened by `opener` on first use."""

    def __init__(self, opener: Callable[[], C]) -> None:
        self._opener = opener
        self._local = threading.local()
        self._open: list[C] = []
        self._lock = threading.Lock()
        self._generation = 0  # bumped by forget/close: older connections are not used again

    def get(self) -> C:
        local = self._local
        conn: C | None = getattr(local, "conn", None)
        if conn is not None and local.generation == self._generation:
            return conn
        if conn is not None:
            conn.close()  # forgotten or closed under this thread
        conn = self._opener()
        local.conn, local.generation = conn, self._generation
        with self._lock:
            self._open.append(conn)
        return conn

    def forget(self) -> None:
        """Each thread opens a new connection on its next use; the old ones close themselves
        then, in the thread that used them."""
        with self._lock:
            self._generation += 1
            self._open.clear()

    def close(self) -> None:
        with self._lock:
            self._generation += 1
            for conn in self._open:
                conn.close()
            self._open.clear()
