"""Verdicts on suggested incidents: read and recorded in the event store.

The store decides: the API finds a suggestion by its id among those the views show, but a verdict
is recorded only after the pair is scored again from the two alerts as the store holds them (a
view may lag or be rebuilt); the verdicts themselves are events of the pair's `SuggestionReview`,
read back from the store, never from a view.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.alert import Alert
from domain.errors import NotFoundError
from domain.provenance import Provenance
from domain.review import SuggestionReview, Verdict
from domain.state import AlertState
from domain.suggestions import Suggestion, suggest
from hub.storage.store import EventStore

Places = Callable[[AlertState], set[str]]


def review_of(store: EventStore, suggestion_id: UUID) -> SuggestionReview | None:
    try:
        found: object = store.repository.get(suggestion_id)
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, SuggestionReview) else None


def _state(store: EventStore, alert_id: UUID) -> AlertState:
    try:
        found: object = store.repository.get(alert_id)
    except AggregateNotFoundError:
        found = None
    if not isinstance(found, Alert):
        raise NotFoundError(f"no alert {alert_id}")
    return found.state


def suggested_by_store(store: EventStore, pair: tuple[UUID, UUID], places: Places) -> Suggestion:
    """The pair scored from the store's alerts; NotFoundError when they make no suggestion."""
    first, second = (_state(store, alert_id) for alert_id in pair)
    found = suggest(first, second, places(first), places(second))
    if found is None:
        raise NotFoundError(f"alerts {pair[0]} and {pair[1]} are no longer a suggested incident")
    return found


def record_verdict(
    store: EventStore,
    suggestion: Suggestion,
    verdict: Verdict,
    by: Provenance,
    reason: str | None,
) -> SuggestionReview:
    review = review_of(store, suggestion.suggestion_id) or SuggestionReview.open(
        suggestion.suggestion_id, [str(a) for a in suggestion.alert_ids]
    )
    review.review(verdict, by, reason)
    store.save(review)
    return review
