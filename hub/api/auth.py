"""FastAPI dependencies for who is calling: `PartnerDep` for writes, `AdminDep` for operations
that act for everyone, `ReaderDep` for reads that show more to partners than to the public.

Use them in a route signature and the route is protected; the OpenAPI document then shows the
bearer scheme on it. Every authenticated request binds the partner to its log lines (the access
log included), and the request id to its provenance.
"""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.errors import ForbiddenError
from domain.rights import Publisher
from hub.api.deps import HubDep
from hub.bootstrap import Hub

OPTIONAL_SCHEME = "OptionalBearer"
"""Marks reads where credentials are optional; the OpenAPI document turns it into "bearer or
nothing" (`hub.api.openapi`), so clients and fuzzers know anonymous reads are meant."""

bearer = HTTPBearer(
    auto_error=False,
    description="An AlertHub API key (ahk_...) or an OAuth 2.0 access token of the issuer",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
optional_bearer = HTTPBearer(
    auto_error=False,
    scheme_name=OPTIONAL_SCHEME,
    description="The same credential, optional: without it the public's view is answered",
)
OptionalCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(optional_bearer)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def optional_partner(
    request: Request, hub: HubDep, credentials: OptionalCredentials
) -> Publisher | None:
    """The calling partner, None when the request carries no credentials (bad ones: 401)."""
    authorization = request.headers.get("authorization")
    if authorization is None:
        return None
    return await require_partner(request, hub, credentials)


async def require_partner(request: Request, hub: HubDep, _: Credentials) -> Publisher:
    """The calling partner; 401 (with WWW-Authenticate) without valid credentials."""
    # argon2 is deliberately slow, and the registry reads the store: off the event loop
    return await run_in_threadpool(partner_of, request, hub)


def partner_of(request: Request, hub: Hub) -> Publisher:
    """`require_partner` for code already in a worker thread (one hop per request, not two).

    A request without an Authorization header is refused without touching the store, so a
    route may call this on the event loop first to refuse it before reading its body.
    """
    publisher = hub.auth.authenticate(
        request.headers.get("authorization"),
        client_address(request),
        getattr(request.state, "request_id", None),
    )
    request.state.partner = publisher.name
    structlog.contextvars.bind_contextvars(partner=publisher.name)
    return publisher


async def require_admin(publisher: Annotated[Publisher, Depends(require_partner)]) -> Publisher:
    """An administrator; 403 naming the right `admin` for any other partner."""
    if not publisher.rights.admin:
        raise ForbiddenError(f"partner {publisher.name} is not an administrator", right="admin")
    return publisher


PartnerDep = Annotated[Publisher, Depends(require_partner)]
AdminDep = Annotated[Publisher, Depends(require_admin)]
ReaderDep = Annotated[Publisher | None, Depends(optional_partner)]
