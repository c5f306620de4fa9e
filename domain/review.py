"""An operator's verdict on a suggested incident, kept in the event store.

Suggestions (`domain.suggestions`) are computed, never applied by themselves. When a partner with
the right to review (an administrator) confirms or rejects one, that decision is a fact with an
author and a time, so it is recorded as events of a `SuggestionReview` aggregate (one per pair of
alerts, id = the suggestion id). Each verdict records `by`: the provenance of the partner who gave
it, as every other event of the hub does. A later verdict replaces an earlier one; both stay in
the history.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import ConflictError
from domain.provenance import Provenance


class Verdict(StrEnum):
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class ReviewOpened(Aggregate.Created):
    """The first verdict on a pair of alerts opened its review."""

    alert_ids: list[str]


class SuggestionReviewed(Aggregate.Event):
    """A partner confirmed or rejected that the two alerts are one incident."""

    verdict: str
    by: dict[str, Any]  # who reviewed (`domain.provenance.Provenance`)
    reason: str | None

    def apply(self, aggregate: Aggregate) -> None:
        review = cast(SuggestionReview, aggregate)
        review.verdict, review.reason = Verdict(self.verdict), self.reason
        review.reviewed_by = Provenance.model_validate(self.by)


class SuggestionReview(Aggregate):
    """The verdicts on one suggested pair of alerts."""

    def __init__(self, alert_ids: list[str]) -> None:
        self.alert_ids = alert_ids
        self.verdict: Verdict | None = None
        self.reviewed_by: Provenance | None = None
        self.reason: str | None = None

    @classmethod
    def open(cls, suggestion_id: UUID, alert_ids: list[str]) -> SuggestionReview:
        return cls._create(ReviewOpened, id=suggestion_id, alert_ids=alert_ids)

    @property
    def reviewer(self) -> str | None:
        """The partner who gave the verdict on record."""
        return self.reviewed_by.partner if self.reviewed_by else None

    def review(self, verdict: Verdict, by: Provenance, reason: str | None = None) -> None:
        """Record a verdict; the same verdict by the same partner again is a conflict."""
        if (verdict, by.partner, reason) == (self.verdict, self.reviewer, self.reason):
            raise ConflictError(f"suggestion {self.id} is already {verdict.value} by {by.partner}")
        self.trigger_event(
            SuggestionReviewed, verdict=verdict.value, by=by.to_json(), reason=reason
        )
