"""The FastAPI application: routes, problem handlers, request ids, access logs and metrics."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse

from hub.api.context import RequestContext
from hub.api.deps import HubDep
from hub.api.feeds import router as feeds_router
from hub.api.models import Health, Readiness
from hub.api.openapi import install_docs
from hub.api.privacy import router as privacy_router
from hub.api.problems import install_problem_handlers, problem, unexpected_error
from hub.api.routes import router
from hub.api.stream import router as stream_router
from hub.api.subscriptions import router as subscriptions_router
from hub.api.suggestions import router as suggestions_router
from hub.api.views import router as views_router
from hub.bootstrap import Hub
from hub.metrics import CONTENT_TYPE
from hub.storage.health import reason_of
from hub.web import install_page

log = structlog.get_logger("hub.api")


def create_app(hub: Hub) -> FastAPI:
    """An app serving `hub`; the caller owns the hub's lifetime (start/close)."""
    app = FastAPI(
        lifespan=_lifespan,
        title="AlertHub",
        version="1.0",
        description="One hub for Burgernet, AMBER Alert and NL-Alert on a canonical CAP 1.2 model.",
        docs_url=None,  # served by install_docs, from installed assets (no CDN)
        redoc_url=None,
    )
    app.state.hub = hub
    install_problem_handlers(app)
    app.include_router(feeds_router)  # first: `/v1/alerts/{id}.cap` before `/v1/alerts/{id}`
    app.include_router(router)
    app.include_router(suggestions_router)  # before /v1/incidents/{incident}
    app.include_router(privacy_router)
    app.include_router(views_router)
    app.include_router(stream_router)
    app.include_router(subscriptions_router)
    app.add_api_route(
        "/healthz", healthz, methods=["GET"], tags=["operations"], response_model=Health
    )
    app.add_api_route(
        "/readyz",
        readyz,
        methods=["GET"],
        tags=["operations"],
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "not ready (see checks)"}},
    )
    app.add_api_route(
        "/metrics",
        metrics,
        methods=["GET"],
        tags=["operations"],
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text"}},
    )
    install_docs(app, hub.channels)
    install_page(app)
    app.add_exception_handler(sqlite3.DatabaseError, _database_error)
    app.add_middleware(RequestContext, metrics=hub.metrics)
    return app


async def _database_error(request: Request, exc: Exception) -> Response:
    """A SQLite file the API reads or writes directly (the views, the subscriptions) failed
    underneath: 503 with the reason and Retry-After, like a write to the store; a malformed page
    makes the projector check (and heal) the views."""
    reason = reason_of(exc)
    if reason is None:
        return await unexpected_error(request, exc)  # not the storage's: a 500, logged
    hub: Hub = request.app.state.hub
    if reason == "corrupt":
        hub.views.suspect = True
        for worker in hub.workers:
            worker.wake()
    log.warning("request.storage_failed", reason=reason, error=str(exc))
    detail = f"storage cannot answer now ({reason}): {exc}"
    return problem(request, 503, "unavailable", detail, {"Retry-After": "5"}, reason=reason)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Stop the shared stream tail (if a client started one) when the server stops."""
    yield
    subscribers = getattr(app.state, "subscribers", None)
    if subscribers is not None:
        await run_in_threadpool(subscribers.close)


async def healthz() -> dict[str, str]:
    """Liveness: the process answers (on the event loop: no thread to wait for)."""
    return {"status": "ok"}


def readyz(hub: HubDep) -> JSONResponse:
    """Readiness: the store answers and the projector runs (503 otherwise).

    The relay and ingress are reported but do not decide readiness: with the broker down the
    hub still accepts messages durably and relays them later, so it stays "degraded", not down.
    """
    checks = _checks(hub)
    ready = all(checks[name]["ok"] for name in ("store", "storage", "projections"))
    degraded = not all(check["ok"] for check in checks.values())
    status = "not ready" if not ready else "degraded" if degraded else "ready"
    if hub.views.rebuilding or hub.views.suspect:
        ready, status = False, "rebuilding"
    return JSONResponse({"status": status, "checks": checks}, status_code=200 if ready else 503)


def _checks(hub: Hub) -> dict[str, dict[str, Any]]:
    checks: dict[str, dict[str, Any]] = {}
    try:
        hub.probe()  # fails in seconds when the database is gone (the store would retry)
        checks["store"] = {"ok": True, "position": hub.store.max_position()}
    except Exception as exc:
        checks["store"] = {"ok": False, "error": repr(exc)}
    if hub.service.storage is not None:
        checks["storage"] = hub.service.storage.status()
    else:
        checks["storage"] = {"ok": True}
    try:
        head = hub.follower.stream.head()  # asked once: with the broker away it costs a timeout
        lag, ahead = hub.follower.lag(head), hub.follower.ahead(head)
        running = hub.follower.running or not hub.settings.run_projector
        checks["projections"] = {
            "ok": running and not ahead,
            "lag": lag,
            "error": hub.follower.last_error
            or (f"checkpoints past the stream's head: {ahead}" if ahead else None),
        }
    except Exception as exc:
        checks["projections"] = {"ok": False, "error": repr(exc)}
    for worker in (hub.relay, hub.ingress):
        if worker is not None and worker in hub.workers:
            checks[worker.name] = {"ok": worker.healthy, "error": worker.last_error}
    if hub.relay is not None and "relay" in checks:
        checks["relay"]["lag"] = hub.relay.lag()
    return checks


def metrics(hub: HubDep) -> Response:
    return Response(hub.metrics.render(), media_type=CONTENT_TYPE)
