"""Slow clients: uvicorn's httptools protocol with a deadline for headers and one for the body.

Uvicorn closes a keep-alive connection that stays idle, but nothing else: a client that opens a
connection and then sends its headers (or its body) one byte a minute holds a connection, a
buffer and, for the body, a request task for as long as it likes ("slow loris"). A few hundred
of them starve every real client. This protocol arms a timer while it waits for a request's
headers and another while it waits for its body, and closes the connection when one fires. It
also refuses a request line and headers larger than `MAX_HEADER_BYTES` (400), which the parser
itself would not. It follows the parser's callbacks, so it needs no change to the application.

httptools (the C parser, llhttp) rather than h11: parsing is a measurable share of a request's
cost in pure Python, and the hub answers many small requests.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = structlog.get_logger(__name__)
MAX_HEADER_BYTES = 16 * 1024  # request line and headers, as h11 and most servers allow
HEADERS, BODY = "headers", "body"


class HeadersTooLargeError(ValueError):
    """Raised in a parser callback: uvicorn answers 400 and closes the connection."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` plus header and body deadlines (seconds, set by `guarded_protocol`)."""

    header_timeout = 10.0
    body_timeout = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_for: str | None = None
        self._header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(HEADERS)  # a connection that never sends a byte is a slow client too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        self._arm(HEADERS)

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(BODY)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm()  # idle between requests: uvicorn's keep-alive timeout takes over

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            raise HeadersTooLargeError(f"request line and headers exceed {MAX_HEADER_BYTES} bytes")

    def _arm(self, waiting_for: str) -> None:
        """Keep one timer for what the connection waits for now: headers or body."""
        if waiting_for != self._waiting_for:
            self._disarm()
            timeout = self.header_timeout if waiting_for == HEADERS else self.body_timeout
            self._waiting_for = waiting_for
            self._deadline = self.loop.call_later(timeout, self._expire, waiting_for)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._waiting_for = None, None

    def _expire(self, waited: str) -> None:
        self._deadline, self._waiting_for = None, None
        if self.transport.is_closing():
            return
        log.warning("http.slow_client_closed", waited_for=waited, client=self.client)
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # the app's receive() now answers http.disconnect
            self.cycle.message_event.set()
        self.transport.close()


def guarded_protocol(header_timeout: float, body_timeout: float) -> type[GuardedHttpToolsProtocol]:
    """The protocol class uvicorn is given (`http=`), with the configured deadlines."""
    attributes = {"header_timeout": header_timeout, "body_timeout": body_timeout}
    return type("ConfiguredHttpToolsProtocol", (GuardedHttpToolsProtocol,), attributes)
