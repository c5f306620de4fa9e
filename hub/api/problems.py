"""RFC 9457 problem details: every error answer, and the one map from error class to status."""

from __future__ import annotations

from typing import Any

import structlog
from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from domain.errors import (
    AlertHubError,
    ConflictError,
    ContentionError,
    ForbiddenError,
    InvalidMessageError,
    InvalidQueryError,
    LimitExceededError,
    MalformedMessageError,
    MassEndRefusedError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
    UnauthenticatedError,
    UnavailableError,
    UnsupportedMediaTypeError,
)

log = structlog.get_logger(__name__)
PROBLEM_JSON = "application/problem+json"

# Most specific first: the first matching class decides the status.
_STATUS: tuple[tuple[type[AlertHubError], int, str], ...] = (
    (UnauthenticatedError, 401, "unauthenticated"),
    (ForbiddenError, 403, "forbidden"),
    (RateLimitedError, 429, "too-many-failed-authentications"),
    (PayloadTooLargeError, 413, "payload-too-large"),
    (UnsupportedMediaTypeError, 415, "unsupported-media-type"),
    (MalformedMessageError, 400, "malformed-message"),
    (LimitExceededError, 422, "limit-exceeded"),
    (InvalidMessageError, 422, "invalid-message"),
    (InvalidQueryError, 400, "bad-request"),
    (ConflictError, 409, "conflict"),
    (NotFoundError, 404, "not-found"),
    (ContentionError, 503, "contention"),
    (UnavailableError, 503, "unavailable"),
)


def problem(
    request: Request,
    status: int,
    slug: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": f"/problems/{slug}",
        "title": slug.replace("-", " ").capitalize(),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", None),
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_of(exc: AlertHubError) -> tuple[int, str]:
    for cls, status, slug in _STATUS:
        if isinstance(exc, cls):
            return status, slug
    return 500, "internal-error"


async def _hub_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AlertHubError)
    status, slug = status_of(exc)
    extra, headers = _details(exc)
    log.info("request.rejected", status=status, error=type(exc).__name__, detail=str(exc))
    return problem(request, status, slug, str(exc), headers, **extra)


def _details(exc: AlertHubError) -> tuple[dict[str, Any], dict[str, str]]:  # noqa: PLR0911
    """What an error adds to its problem document (extension members) and headers."""
    match exc:
        case InvalidMessageError():
            errors = [{"location": p.location, "message": p.message} for p in exc.problems]
            limit = {"limit": exc.limit} if isinstance(exc, LimitExceededError) else {}
            return {"errors": errors, **limit}, {}
        case UnauthenticatedError():
            challenge = 'Bearer realm="alerthub"'
            return {}, {"WWW-Authenticate": challenge + ', error="invalid_token"'}
        case ForbiddenError():
            return {"right": exc.right}, {}
        case RateLimitedError():
            return {"retry_after": exc.retry_after}, {"Retry-After": str(exc.retry_after)}
        case MassEndRefusedError():
            return {"count": exc.count, "active": exc.active}, {}
        case UnavailableError():
            return {"reason": exc.reason}, {"Retry-After": str(exc.retry_after)}
        case InvalidQueryError():
            return {"errors": [{"location": f"query.{exc.location}", "message": str(exc)}]}, {}
    return {}, {}


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
    response.headers.update(exc.headers or {})
    if exc.status_code == 405:  # every method of the path, not only the first route's
        response.headers["Allow"] = ", ".join(_allowed(request))
    return response


def _allowed(request: Request) -> list[str]:
    """The methods of every route whose path matches (one route per method on a path)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, BaseRoute) and route.matches(request.scope)[0] is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("request.crashed", error=type(exc).__name__)
    return problem(request, 500, "internal-error", "an unexpected error occurred; it was logged")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AlertHubError, _hub_error)
    app.add_exception_handler(OperationalError, _store_lost)
    app.add_exception_handler(InterfaceError, _store_lost)
    app.add_exception_handler(RequestValidationError, _query_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, unexpected_error)
