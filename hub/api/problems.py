"""RFC 9457 problem details: every error answer, and the one map from error class to status."""

from __future__ import annotations

from typing import Any

import structlog
from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import (
    AlertHubError,
    ConflictError,
    ContentionError,
    InvalidMessageError,
    LimitExceededError,
    MalformedMessageError,
    NotFoundError,
    PayloadTooLargeError,
    UnavailableError,
    UnsupportedMediaTypeError,
)

log = structlog.get_logger(__name__)
PROBLEM_JSON = "application/problem+json"

# Most specific first: the first matching class decides the status.
_STATUS: tuple[tuple[type[AlertHubError], int, str], ...] = (
    (PayloadTooLargeError, 413, "payload-too-large"),
    (UnsupportedMediaTypeError, 415, "unsupported-media-type"),
    (MalformedMessageError, 400, "malformed-message"),
    (LimitExceededError, 422, "limit-exceeded"),
    (InvalidMessageError, 422, "invalid-message"),
    (ConflictError, 409, "conflict"),
    (NotFoundError, 404, "not-found"),
    (ContentionError, 503, "contention"),
    (UnavailableError, 503, "unavailable"),
)


def problem(request: Request, status: int, slug: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"/problems/{slug}",
        "title": slug.replace("-", " ").capitalize(),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", None),
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def status_of(exc: AlertHubError) -> tuple[int, str]:
    for cls, status, slug in _STATUS:
        if isinstance(exc, cls):
            return status, slug
    return 500, "internal-error"


async def _hub_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AlertHubError)
    status, slug = status_of(exc)
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidMessageError):
        extra["errors"] = [{"location": p.location, "message": p.message} for p in exc.problems]
    if isinstance(exc, LimitExceededError):
        extra["limit"] = exc.limit
    if isinstance(exc, UnavailableError):
        extra["reason"] = exc.reason
    log.info("request.rejected", status=status, error=type(exc).__name__, detail=str(exc))
    response = problem(request, status, slug, str(exc), **extra)
    if isinstance(exc, UnavailableError):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def _store_lost(request: Request, exc: Exception) -> JSONResponse:
    """The event store's connection failed (database gone) on a read: 503, never a 500."""
    unavailable = UnavailableError(
        f"the event store is unavailable: {exc}", reason="database-unreachable"
    )
    return await _hub_error(request, unavailable)


async def _query_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"location": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
    ]
    detail = "; ".join(f"{e['location']}: {e['message']}" for e in errors)
    return problem(request, 400, "bad-request", detail, errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    response = problem(request, exc.status_code, "http-error", str(exc.detail))
    response.headers.update(exc.headers or {})  # e.g. the Allow of a 405
    return response


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("request.crashed", error=type(exc).__name__)
    return problem(request, 500, "internal-error", "an unexpected error occurred; it was logged")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AlertHubError, _hub_error)
    app.add_exception_handler(OperationalError, _store_lost)
    app.add_exception_handler(InterfaceError, _store_lost)
    app.add_exception_handler(RequestValidationError, _query_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
