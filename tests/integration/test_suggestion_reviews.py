"""A verdict on a suggested incident: the store decides, and the event names the reviewer."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.errors import ConflictError, NotFoundError
from domain.provenance import AuthMethod, Provenance
from domain.review import Verdict
from hub.bootstrap import Hub
from hub.reviews import record_verdict, review_of, suggested_by_store
from tests.conftest import EXAMPLES, HubFactory
from tests.factories import burgernet_action

REVIEWER = Provenance(partner="lcms", auth_method=AuthMethod.API_KEY, credential="k1")


def posted(hub: Hub, channel: str, body: bytes) -> UUID:
    result = hub.service.ingest(channel, body, "application/json")
    return result.accepted[0].alert_id


def test_a_verdict_is_scored_from_the_store_and_names_its_reviewer(make_hub: HubFactory) -> None:
    hub = make_hub()
    amber = posted(hub, "amber", (EXAMPLES / "amber" / "01-amber-alert-national.json").read_bytes())
    title = "AMBER Alert: Noor Voorbeeld (9) ontvoerd"
    child = posted(hub, "burgernet", burgernet_action(61001, title, "Noor Voorbeeld.", amber=True))
    car = posted(hub, "burgernet", burgernet_action(61002, "Gezocht: auto", "Auto.", amber=False))

    places = hub.geography.codes_of
    suggestion = suggested_by_store(hub.store, (amber, child), places)
    assert set(suggestion.alert_ids) == {amber, child}
    with pytest.raises(NotFoundError, match="no longer a suggested incident"):
        suggested_by_store(hub.store, (amber, car), places)  # one town, another subject
    with pytest.raises(NotFoundError, match="no alert"):
        suggested_by_store(hub.store, (amber, uuid4()), places)

    record_verdict(hub.store, suggestion, Verdict.CONFIRMED, REVIEWER, "same child")
    with pytest.raises(ConflictError):
        record_verdict(hub.store, suggestion, Verdict.CONFIRMED, REVIEWER, "same child")
    review = review_of(make_hub().store, suggestion.suggestion_id)  # a restart reads it back
    assert review is not None
    assert (review.verdict, review.reviewed_by, review.reason) == (
        Verdict.CONFIRMED,
        REVIEWER,
        "same child",
    )
