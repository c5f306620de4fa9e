"""Suggested incidents: alerts of different systems that may be one event, and verdicts on them.

`GET` lists what the hub suggests now (score, reasons, and any verdict on record); a partner with
the right to review (an administrator) confirms or rejects one with `POST .../confirm` or
`.../reject`, recorded as an event that names the partner. Nothing is merged by a suggestion alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body
from fastapi.concurrency import run_in_threadpool

from domain.errors import NotFoundError
from domain.review import Verdict
from domain.rights import Publisher
from domain.state import Lifecycle
from domain.suggestions import Suggestion
from hub.api.auth import AdminDep
from hub.api.deps import HubDep
from hub.api.models import SuggestionAnswer, SuggestionList
from hub.api.problems import PROBLEM_JSON
from hub.bootstrap import Hub
from hub.reviews import record_verdict, review_of, suggested_by_store
from projections.alerts import AlertQuery, find_alerts
from projections.suggestions import suggestions

router = APIRouter(prefix="/v1/incidents/suggestions", tags=["incidents"])
SCOPE = 1000  # alerts compared per request: the newest of the chosen lifecycle


def _current(hub: Hub, lifecycle: Lifecycle | None) -> list[Suggestion]:
    query = AlertQuery(lifecycle=lifecycle, status="Actual", limit=SCOPE)
    states = find_alerts(hub.views.connect(), query, datetime.now(UTC)).items
    return suggestions(states, hub.geography.codes_of)


def _document(hub: Hub, suggestion: Suggestion) -> SuggestionAnswer:
    review = review_of(hub.store, suggestion.suggestion_id)
    verdict = review.verdict if review else None
    return SuggestionAnswer(
        suggestion_id=suggestion.suggestion_id,
        alert_ids=list(suggestion.alert_ids),
        score=suggestion.score,
        reasons=suggestion.reasons,
        status=verdict.value if verdict else "suggested",
        reviewed_by=review.reviewer if review else None,
        review_reason=review.reason if review else None,
    )


@router.get("")
def list_suggestions(
    hub: HubDep, lifecycle: Literal["active", "ended", "expired", "all"] = "active"
) -> SuggestionList:
    """Pairs of public alerts of different systems that may be one incident, best first."""
    chosen = None if lifecycle == "all" else Lifecycle(lifecycle)
    return SuggestionList(items=[_document(hub, s) for s in _current(hub, chosen)])


def _find(hub: Hub, suggestion_id: UUID) -> Suggestion:
    for suggestion in _current(hub, None):
        if suggestion.suggestion_id == suggestion_id:
            return suggestion
    raise NotFoundError(f"no current suggestion {suggestion_id}")


@router.get("/{suggestion_id}")
def read_suggestion(suggestion_id: UUID, hub: HubDep) -> SuggestionAnswer:
    return _document(hub, _find(hub, suggestion_id))


def _verdict(
    hub: Hub, suggestion_id: UUID, verdict: Verdict, reviewer: Publisher, reason: str | None
) -> SuggestionAnswer:
    shown = _find(hub, suggestion_id)
    suggestion = suggested_by_store(hub.store, shown.alert_ids, hub.geography.codes_of)
    record_verdict(hub.store, suggestion, verdict, reviewer.provenance, reason)
    return _document(hub, suggestion)


Reason = Annotated[str | None, Body(embed=True, max_length=2000)]
_PROBLEM = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "this partner's same verdict is already on record", "content": _PROBLEM}
}


@router.post("/{suggestion_id}/confirm", responses=_CONFLICT)
async def confirm(
    suggestion_id: UUID, hub: HubDep, reviewer: AdminDep, reason: Reason = None
) -> SuggestionAnswer:
    """Record that the two alerts are one incident (an event naming the reviewing partner)."""
    return await run_in_threadpool(
        _verdict, hub, suggestion_id, Verdict.CONFIRMED, reviewer, reason
    )


@router.post("/{suggestion_id}/reject", responses=_CONFLICT)
async def reject(
    suggestion_id: UUID, hub: HubDep, reviewer: AdminDep, reason: Reason = None
) -> SuggestionAnswer:
    """Record that the two alerts are not one incident (an event naming the reviewing partner)."""
    return await run_in_threadpool(_verdict, hub, suggestion_id, Verdict.REJECTED, reviewer, reason)
