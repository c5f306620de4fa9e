"""Every request's context: an id bound to its log lines, a metric, and one access log line.

Plain ASGI rather than Starlette's `BaseHTTPMiddleware`: that one runs the rest of the app in a
second task and streams the response through a queue, which costs every request a task switch
and a copy of its body; this one only watches the response start go by.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import TYPE_CHECKING

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from hub.metrics import Metrics

log = structlog.get_logger("hub.api")
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
"""A client's X-Request-Id is kept only if it is this tame: it lands in logs and in provenance."""


class RequestContext:
    """Bind a request id to every log line of the request, count it, and log who asked."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id", "")
        request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500  # what the client gets if the app fails before answering
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["x-request-id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._done(scope, status, started)

    def _done(self, scope: Scope, status: int, started: float) -> None:
        elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
        route = scope.get("route")
        self.metrics.request(scope["method"], getattr(route, "path", "unmatched"), status)
        client = scope.get("client")
        log.info(
            "request",
            method=scope["method"],
            path=scope["path"],
            status=status,
            ms=elapsed_ms,
            client=client[0] if client else None,
            partner=scope["state"].get("partner"),
        )
