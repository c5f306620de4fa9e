"""Typed dependencies: route signatures read like a specification, tests override one function."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hub.bootstrap import Hub


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]
