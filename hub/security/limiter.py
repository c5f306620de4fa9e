"""Slows a brute force of keys: failed authentications are counted per client address.

A sliding window per address; past the limit, the address gets 429 (with Retry-After) for any
authenticated request until its oldest failure leaves the window, whatever it sends. Every failure
and every refusal is logged with the address. Memory stays bounded: addresses with no failure in
the window are forgotten, and at most `max_addresses` are tracked (the oldest dropped first).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

import structlog

from domain.errors import RateLimitedError

log = structlog.get_logger(__name__)


class FailureLimiter:
    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_addresses: int = 100_000,
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self.max_addresses = max_addresses
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, address: str) -> None:
        """Raise `RateLimitedError` while `address` is over its limit of failures."""
        with self._lock:
            failures = self._recent(address)
            if len(failures) < self.limit:
                return
            retry = max(1, math.ceil(failures[0] + self.window - self.clock()))
        log.warning("auth.rate_limited", client=address, failures=len(failures))
        raise RateLimitedError(
            f"too many failed authentications from {address}; retry in {retry} s",
            retry_after=retry,
        )

    def failed(self, address: str, reason: str) -> None:
        with self._lock:
            failures = self._recent(address)
            failures.append(self.clock())
            self._failures[address] = failures
            self._failures.move_to_end(address)
            while len(self._failures) > self.max_addresses:
                self._failures.popitem(last=False)
        log.warning("auth.failed", client=address, reason=reason, failures=len(failures))

    def _recent(self, address: str) -> deque[float]:
        failures = self._failures.get(address, deque())
        horizon = self.clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            self._failures.pop(address, None)
        return failures
