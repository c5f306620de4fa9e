"""Honest failure of storage: what is wrong underneath, in words a client and an operator can use.

A full disk, a read-only file system, a locked or corrupt database all surface from SQLite as
one `OperationalError` with a message; left alone they become a 500 "internal error" while the
hub still calls itself ready. Here they become an `UnavailableError` with a short reason
(`disk-full`, `read-only`, `locked`, `corrupt`, `io-error`), answered as 503 with Retry-After,
and `/readyz` fails with the same reason until the cause is gone.

Free space is checked before a write as well: below `min_free_bytes` the hub refuses writes
itself, before SQLite meets a full disk half-way through a transaction, and starts again on its
own once there is room (nothing to restart, no state to clear by hand). A failed write keeps
`/readyz` failing until a write succeeds or `FAILURE_MEMORY` seconds pass (then the next write
tells again), so readiness heals by itself even when no client writes meanwhile.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from domain.errors import UnavailableError

MIB = 1024 * 1024
FAILURE_MEMORY = 30.0
_REASONS = (
    ("disk is full", "disk-full"),
    ("no space", "disk-full"),
    ("readonly", "read-only"),
    ("read-only", "read-only"),
    ("locked", "locked"),
    ("busy", "locked"),
    ("malformed", "corrupt"),
    ("not a database", "corrupt"),
    ("disk i/o", "io-error"),
)


def reason_of(exc: BaseException) -> str | None:
    """The storage reason an exception names, or None when it is not a storage failure."""
    text = str(exc).lower()
    return next((reason for words, reason in _REASONS if words in text), None)


class StorageHealth:
    """Free space for the data and the outcome of the last write, for writes and /readyz."""

    def __init__(self, folder: Path, min_free_bytes: int, *, retry_after: int = 5) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.min_free_bytes, self.retry_after = folder, min_free_bytes, retry_after
        self._lock = threading.Lock()
        self._last_failure: tuple[UnavailableError, float] | None = None

    def free_bytes(self) -> int:
        return shutil.disk_usage(self.folder).free

    def check_room(self) -> None:
        """Refuse a write while the disk is (nearly) full; raises `UnavailableError`."""
        free = self.free_bytes()
        if free < self.min_free_bytes:
            raise UnavailableError(
                f"only {free / MIB:.1f} MiB free for the data; writes resume by themselves "
                f"once {self.min_free_bytes / MIB:.1f} MiB is free",
                reason="disk-full",
                retry_after=self.retry_after,
            )

    def unavailable(self, exc: BaseException) -> UnavailableError | None:
        """Record a failed write; the `UnavailableError` to raise instead, if it is storage's."""
        reason = reason_of(exc)
        if reason is None:
            return None
        error = UnavailableError(
            f"storage cannot take writes now ({reason}): {exc}",
            reason=reason,
            retry_after=self.retry_after,
        )
        with self._lock:
            self._last_failure = error, time.monotonic()
        return error

    def succeeded(self) -> None:
        with self._lock:
            self._last_failure = None

    def status(self) -> dict[str, Any]:
        """The /readyz check: room to write, the data folder writable, the last write fine."""
        free = self.free_bytes()
        with self._lock:
            failure = self._last_failure
        if free < self.min_free_bytes:
            return {"ok": False, "reason": "disk-full", "free_bytes": free}
        if not os.access(self.folder, os.W_OK):
            return {"ok": False, "reason": "read-only", "free_bytes": free}
        if failure is not None and time.monotonic() - failure[1] < FAILURE_MEMORY:
            error = failure[0]
            return {"ok": False, "reason": error.reason, "error": str(error), "free_bytes": free}
        return {"ok": True, "free_bytes": free}
