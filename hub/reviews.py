"""Operators' verdicts on suggested incidents: read and recorded in the event store.

The store decides: a verdict is recorded only on a suggestion the hub currently makes (the caller
checks), as events of the pair's `SuggestionReview`, and read back from the store, never from a
view.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.provenance import Provenance
from domain.review import SuggestionReview, Verdict
from domain.suggestions import Suggestion
from hub.storage.store import EventStore


def review_of(store: EventStore, suggestion_id: UUID) -> SuggestionReview | None:
    try:
        found: object = store.repository.get(suggestion_id)
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, SuggestionReview) else None


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
