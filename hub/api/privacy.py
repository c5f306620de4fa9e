"""`POST /v1/alerts/{alert_id}/erasure`: an administrator erases an alert's personal data.

The alert's data key is destroyed and `PersonalDataErased` recorded, naming the administrator
(and how it authenticated) as every event names its publisher. Erasing an erased alert records
nothing and answers the erasure already on record, so a client may retry freely. Like a posted
message, the answer waits (up to the read-your-writes timeout) until the views show the erasure.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from hub.api.auth import AdminDep
from hub.api.deps import HubDep
from hub.api.models import Answer
from hub.api.problems import PROBLEM_JSON
from hub.privacy.erasure import MAX_REASON

router = APIRouter(prefix="/v1", tags=["privacy"])


class ErasureRequest(BaseModel):
    """Why the alert's personal data is erased: kept on record with who and when."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=1,
        max_length=MAX_REASON,
        pattern=r"\S",
        description="Why, in the administrator's words (e.g. the case is closed)",
    )


class ErasureAnswer(Answer):
    alert_id: UUID
    recorded: bool = Field(description="False: it was erased already, nothing new was recorded")
    version: int = Field(ge=1, description="The alert's version once erased")
    erased_at: datetime
    erased_by: str = Field(description="The administrator (or retention) that erased it")


@router.post(
    "/alerts/{alert_id}/erasure",
    response_model=ErasureAnswer,
    responses={
        503: {
            "description": "the store is busy or failing; nothing was erased, try again",
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    },
)
async def erase_alert(
    alert_id: UUID, body: ErasureRequest, hub: HubDep, admin: AdminDep
) -> dict[str, Any]:
    """Erase the alert's personal data for good (administrators only); idempotent."""
    erase = partial(
        hub.eraser.erase, by=admin.name, reason=body.reason.strip(), provenance=admin.provenance
    )
    erased = await run_in_threadpool(erase, alert_id)
    assert erased is not None  # no condition given
    if erased.recorded and hub.settings.read_your_writes_timeout > 0:
        await run_in_threadpool(
            hub.wait_for_views, erased.position, hub.settings.read_your_writes_timeout
        )
    return {
        "alert_id": alert_id,
        "recorded": erased.recorded,
        "version": erased.version,
        "erased_at": erased.at,
        "erased_by": erased.by,
    }
