"""Typed dependencies: each route names the narrow part of the hub it uses, nothing more.

Reads go through the read-side queries object and channel lookups through the ingest service.
The whole `Hub` is left to what needs several of its parts at once: a POST authenticates,
ingests and waits for the views in one worker thread, and the operations endpoints (readiness,
metrics, the live stream). Tests override one function to swap a part.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hub.bootstrap import Hub
from hub.service import IngestService
from projections.queries import ReadModel


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def get_service(request: Request) -> IngestService:
    return get_hub(request).service


def get_reads(request: Request) -> ReadModel:
    return get_hub(request).reads


HubDep = Annotated[Hub, Depends(get_hub)]
ServiceDep = Annotated[IngestService, Depends(get_service)]
ReadsDep = Annotated[ReadModel, Depends(get_reads)]
