"""The FastAPI application: routes, problem handlers, request ids, access logs and metrics."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from hub.api.deps import HubDep
from hub.api.problems import install_problem_handlers
from hub.api.routes import router
from hub.bootstrap import Hub

log = structlog.get_logger("hub.api")


def create_app(hub: Hub) -> FastAPI:
    """An app serving `hub`; the caller owns the hub's lifetime (start/close)."""
    app = FastAPI(
        title="AlertHub",
        version="1.0",
        description="One hub for Burgernet, AMBER Alert and NL-Alert on a canonical CAP 1.2 model.",
    )
    app.state.hub = hub
    install_problem_handlers(app)
    app.include_router(router)
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["operations"])
    app.add_api_route("/readyz", readyz, methods=["GET"], tags=["operations"])
    app.add_api_route("/metrics", metrics, methods=["GET"], tags=["operations"])
    app.middleware("http")(_request_context)
    return app


async def _request_context(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Bind a request id to every log line of the request and count it for /metrics."""
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    request.state.request_id = request_id
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    started = time.perf_counter()
    response = await call_next(request)
    elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
    response.headers["x-request-id"] = request_id
    route = request.scope.get("route")
    path = getattr(route, "path", "unmatched")
    hub: Hub = request.app.state.hub
    hub.metrics.inc(
        "alerthub_http_requests_total",
        method=request.method,
        route=path,
        status=str(response.status_code),
    )
    log.info(
        "request",
        method=request.method,
        path=request.url.path,
        status=response.status_code,
        ms=elapsed_ms,
    )
    return response


def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


def readyz(hub: HubDep) -> JSONResponse:
    """Readiness: the store answers, the projector runs, and how far behind the views are."""
    checks: dict[str, Any] = {}
    try:
        checks["store"] = {"ok": True, "position": hub.store.max_position()}
        checks["projections"] = {"ok": hub.follower.running, "lag": hub.follower.lag()}
    except Exception as exc:
        checks.setdefault("store", {"ok": False, "error": repr(exc)})
    ready = all(check.get("ok") for check in checks.values()) and "projections" in checks
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


def metrics(hub: HubDep) -> PlainTextResponse:
    return PlainTextResponse(hub.metrics.render(), media_type="text/plain; version=0.0.4")
