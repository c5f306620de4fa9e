"""Subscriptions without I/O: what a request may say, the group text, signatures, targets, back-off,
and the spatial index (on a fake geography of two squares)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry
from standardwebhooks.webhooks import Webhook

from domain.model import AlertMessage, Area
from hub.subscriptions import groupmessage, webhooks
from hub.subscriptions.delivery import Policy
from hub.subscriptions.errors import TargetRefusedError
from hub.subscriptions.index import SubscriptionIndex
from hub.subscriptions.model import State, Subscription, SubscriptionRequest
from tests.factories import message as cap_message

WEBHOOK = {"webhook": "https://example.org/hook"}


def request(**area: object) -> SubscriptionRequest:
    return SubscriptionRequest.model_validate({"area": area, "target": WEBHOOK})


@pytest.mark.parametrize(
    "area",
    [
        {},
        {"geocode": "GM0307", "postcode": "3811"},
        {"geocode": "XX0307"},
        {"postcode": "38111"},
        {"circle": {"lat": 52.1, "lon": 5.4}},
        {"circle": {"lat": 95, "lon": 5.4, "radius_km": 1}},
        {"circle": {"lat": 52.1, "lon": 5.4, "radius_km": 0}},
        {"polygon": [[52, 5], [52, 6], [53, 6], [52.5, 5]]},
    ],
)
def test_a_bad_area_is_refused_with_the_reason(area: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        request(**area)


def test_a_target_is_a_webhook_or_an_email_never_both_nor_another_scheme() -> None:
    area = {"geocode": "GM0307"}
    for target in ({}, {**WEBHOOK, "email": "a@example.org"}, {"webhook": "ftp://example.org"}):
        with pytest.raises(ValidationError):
            SubscriptionRequest.model_validate({"area": area, "target": target})


def test_filters_default_to_every_public_actual_alert() -> None:
    sub = Subscription(
        subscription_id=uuid.uuid4(),
        owner="p",
        request=request(geocode="GM0307"),
        state=State.ACTIVE,
        created_at=datetime.now(UTC),
    )
    message = cap_message()
    info = message.info[0]
    assert sub.wants(message.status, info.severity, info.urgency, "cap")
    strict = sub.model_copy(
        update={"request": sub.request.model_copy(update={"min_severity": "Extreme"})}
    )
    assert not strict.wants(message.status, "Minor", info.urgency, "cap")  # type: ignore[arg-type]
    assert strict.wants(message.status, "Extreme", info.urgency, "cap")  # type: ignore[arg-type]


def test_the_signature_verifies_with_the_standard_webhooks_library() -> None:
    secret = webhooks.new_secret()
    body = json.dumps({"hello": "wereld"})
    headers = webhooks.signed_headers(secret, "alert-1:2", body)
    assert Webhook(secret).verify(body, headers) == {"hello": "wereld"}
    with pytest.raises(Exception, match="signature"):
        Webhook(webhooks.new_secret()).verify(body, headers)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/hook", "http://10.1.2.3/", "http://[::1]/", "http://169.254.1.1/"]
)
def test_loopback_and_private_targets_are_refused(url: str) -> None:
    with pytest.raises(TargetRefusedError, match="non-public"):
        webhooks.check_target(url, allow_private=False)
    webhooks.check_target(url, allow_private=True)


def test_back_off_grows_with_jitter_and_is_capped() -> None:
    policy = Policy(first_retry=1.0, max_retry=60.0)
    now = datetime.now(UTC).timestamp()
    for attempts, bound in ((0, 1.0), (3, 8.0), (20, 60.0)):
        waits = [policy.next_try(attempts) - now for _ in range(50)]
        assert all(bound / 2 - 0.5 <= w <= bound + 0.5 for w in waits)
        assert max(waits) - min(waits) > 0  # jittered, not in lockstep


class Squares:
    """A fake geography: GM0001 is the unit square at (0,0), GM0002 the one next to it."""

    places = {"GM0001": box(0, 0, 1, 1), "GM0002": box(1.5, 0, 2.5, 1)}

    def shape_of(self, areas: Iterable[Area]) -> BaseGeometry | None:
        for area in areas:
            for g in area.geocodes:
                return self.places.get(g.value)
            for ring in area.polygons:
                from shapely.geometry import Polygon

                return Polygon([(lon, lat) for lat, lon in ring])
        return None

    def place(self, code: str) -> None:
        return None


def test_the_index_finds_only_the_subscriptions_an_area_touches() -> None:
    subs = [
        Subscription(
            subscription_id=uuid.uuid4(),
            owner="p",
            request=request(geocode=code),
            state=State.ACTIVE,
            created_at=datetime.now(UTC),
        )
        for code in ("GM0001", "GM0002")
    ] + [
        Subscription(
            subscription_id=uuid.uuid4(),
            owner="p",
            request=request(postcode="3811 AB"),
            state=State.ACTIVE,
            created_at=datetime.now(UTC),
        )
    ]
    index = SubscriptionIndex(subs, Squares())
    crossing_first = box(0.5, 0.2, 1.2, 0.4)
    assert [s.subscription_id for s in index.touching(crossing_first, set())] == [
        subs[0].subscription_id
    ]
    assert index.touching(box(5, 5, 6, 6), set()) == []
    assert [s.subscription_id for s in index.touching(None, {"3811"})] == [subs[2].subscription_id]


def test_the_group_text_is_short_dutch_and_uses_the_systems_wording() -> None:
    message = cap_message()
    long = message.model_copy(
        update={
            "info": [
                message.info[0].model_copy(update={"description": "x " * 2000, "language": "nl-NL"})
            ]
        }
    )
    text = groupmessage.render("burgernet", long, "https://hub.example/v1/alerts/1").text
    assert len(text) <= groupmessage.LIMIT
    assert "0800-0011" in text
    assert text.endswith("https://hub.example/v1/alerts/1")
    ended = groupmessage.render("burgernet", message, "https://h/1", ended_outcome="found").text
    assert ended.startswith("Burgernet — Gevonden")


def test_an_amber_text_names_the_tip_line_and_112() -> None:
    message: AlertMessage = cap_message()
    text = groupmessage.render("amber", message, "https://h/1").text
    assert "0800-6070" in text
    assert "112" in text
