"""A verdict on a suggested incident is an event that names the partner who gave it."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.errors import ConflictError
from domain.provenance import AuthMethod, Provenance
from domain.review import SuggestionReview, SuggestionReviewed, Verdict

ADMIN = Provenance(partner="lcms", auth_method=AuthMethod.API_KEY, credential="k1")
OTHER = Provenance(partner="vr01", auth_method=AuthMethod.OAUTH2, credential="sub-7")


def opened() -> SuggestionReview:
    return SuggestionReview.open(uuid4(), [str(uuid4()), str(uuid4())])


def test_a_verdict_records_the_reviewers_provenance() -> None:
    review = opened()
    review.review(Verdict.CONFIRMED, ADMIN, "same child")
    event = review.collect_events()[-1]
    assert isinstance(event, SuggestionReviewed)
    assert (event.verdict, event.by, event.reason) == ("confirmed", ADMIN.to_json(), "same child")
    assert (review.verdict, review.reviewer, review.reviewed_by) == (
        Verdict.CONFIRMED,
        "lcms",
        ADMIN,
    )


def test_the_same_verdict_again_is_a_conflict_and_records_nothing() -> None:
    review = opened()
    review.review(Verdict.CONFIRMED, ADMIN, "same child")
    review.collect_events()
    with pytest.raises(ConflictError, match="already confirmed by lcms"):
        review.review(Verdict.CONFIRMED, ADMIN, "same child")
    assert review.collect_events() == []


def test_a_later_verdict_replaces_the_earlier_and_both_stay_in_history() -> None:
    review = opened()
    review.review(Verdict.CONFIRMED, ADMIN)
    review.review(Verdict.CONFIRMED, OTHER)  # another partner agreeing is on record too
    review.review(Verdict.REJECTED, ADMIN, "two children")
    verdicts = [(e.verdict, e.by["partner"]) for e in review.collect_events()[1:]]
    assert verdicts == [("confirmed", "lcms"), ("confirmed", "vr01"), ("rejected", "lcms")]
    assert (review.verdict, review.reviewer, review.reason) == (
        Verdict.REJECTED,
        "lcms",
        "two children",
    )
