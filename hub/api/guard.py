"""Slow clients: uvicorn's HTTP/1.1 protocol with a deadline for headers and one for the body.

Uvicorn closes a keep-alive connection that stays idle, but nothing else: a client that opens a
connection and then sends its headers (or its body) one byte a minute holds a connection, a
buffer and, for the body, a request task for as long as it likes ("slow loris"). A few hundred
of them starve every real client. This protocol arms a timer while it waits for a request's
headers and another while it waits for its body, and closes the connection when one fires.
It works on the connection's h11 state, so it needs no change to the application.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import structlog
from uvicorn.protocols.http.h11_impl import H11Protocol

log = structlog.get_logger(__name__)
MAX_HEADER_BYTES = 16 * 1024  # request line and headers; h11's default allows 16 KiB as well


class GuardedH11Protocol(H11Protocol):
    """`H11Protocol` plus header and body deadlines (seconds, set by `guarded_protocol`)."""

    header_timeout = 10.0
    body_timeout = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_for: object = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(h11.IDLE)  # a connection that never sends a byte is a slow client too

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._arm(self.conn.their_state)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm()  # idle between requests: uvicorn's keep-alive timeout takes over

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, state: object) -> None:
        """Keep one timer for what the connection waits for now: headers, body or nothing."""
        if state not in {h11.IDLE, h11.SEND_BODY}:
            self._disarm()
        elif state is not self._waiting_for:
            self._disarm()
            timeout = self.header_timeout if state is h11.IDLE else self.body_timeout
            self._waiting_for = state
            self._deadline = self.loop.call_later(timeout, self._expire, state)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._waiting_for = None, None

    def _expire(self, state: object) -> None:
        self._deadline, self._waiting_for = None, None
        if self.transport.is_closing():
            return
        waited = "headers" if state is h11.IDLE else "body"
        log.warning("http.slow_client_closed", waited_for=waited, client=self.client)
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # the app's receive() now answers http.disconnect
            self.cycle.message_event.set()
        self.transport.close()


def guarded_protocol(header_timeout: float, body_timeout: float) -> type[GuardedH11Protocol]:
    """The protocol class uvicorn is given (`http=`), with the configured deadlines."""
    attributes = {"header_timeout": header_timeout, "body_timeout": body_timeout}
    return type("ConfiguredH11Protocol", (GuardedH11Protocol,), attributes)
