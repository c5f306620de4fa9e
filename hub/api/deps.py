"""Typed dependencies: each route names the narrow part of the hub it uses, nothing more.

Reads go through the read-side queries object and channel lookups through the ingest service.
The whole `Hub` is left to what needs several of its parts at once: a POST authenticates,
ingests and waits for the views in one worker thread, and the operations endpoints (readiness,
metrics, the live stream). Tests override one function to swap a part.

They are `async` though they never wait: FastAPI runs a plain `def` dependency in a worker
thread, and that hop cost each request more than everything the dependency does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hub.bootstrap import Hub
from hub.service import IngestService
from projections.queries import ReadModel


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


async def get_hub(request: Request) -> Hub:
    return hub_of(request)


async def get_service(request: Request) -> IngestService:
    return hub_of(request).service


async def get_reads(request: Request) -> ReadModel:
    return hub_of(request).reads


HubDep = Annotated[Hub, Depends(get_hub)]
ServiceDep = Annotated[IngestService, Depends(get_service)]
ReadsDep = Annotated[ReadModel, Depends(get_reads)]
