"""Structural limits: each one refuses a message over it, naming the limit and where it is hit."""

from __future__ import annotations

from typing import Any

import pytest

from domain.errors import LimitExceededError
from hub.limits import Limits
from hub.streaming.topics import Durability
from tests.factories import cap, info, message

SMALL = Limits(
    polygon_points=10,
    message_points=12,
    areas=2,
    info_blocks=2,
    references=1,
    resources=1,
    text_chars=300,
)


def ring(points: int) -> list[list[float]]:
    """A closed ring of `points` coordinate pairs (the last repeats the first)."""
    ring = [[52.0 + i / 1000, 5.0 + (i % 2) / 1000] for i in range(points - 1)]
    return [*ring, ring[0]]


def area(points: int = 4) -> dict[str, Any]:
    return {"description": "somewhere", "polygons": [ring(points)]}


def resource() -> dict[str, str]:
    return {"description": "photo", "mime_type": "image/jpeg"}


def test_the_largest_message_within_every_limit_passes() -> None:
    within = message(
        info=[
            info(areas=[area(6), area(6)], resources=[resource()], description="x" * 300),
            info(areas=[]),
        ]
    )
    SMALL.check([cap(within)])


@pytest.mark.parametrize(
    ("overrides", "limit", "location"),
    [
        ({"info": [info(areas=[area(11)])]}, "polygon_points", "info[0].area[0].polygon[0]"),
        ({"info": [info(areas=[area(7)]), info(areas=[area(7)])]}, "message_points", "info"),
        ({"info": [info(areas=[area(), area(), area()])]}, "areas", "info[0].area"),
        ({"info": [info(), info(), info()]}, "info_blocks", "info"),
        ({"info": [info(resources=[resource(), resource()])]}, "resources", "info[0].resource"),
        ({"info": [info(instruction="y" * 301)]}, "text_chars", "info[0].instruction"),
    ],
)
def test_each_limit_refuses_and_names_itself(
    overrides: dict[str, Any], limit: str, location: str
) -> None:
    with pytest.raises(LimitExceededError) as raised:
        SMALL.check([cap(message(**overrides))])
    assert raised.value.limit == limit
    assert raised.value.location == location
    assert limit in str(raised.value)


def test_references_are_limited() -> None:
    first, second = message("a"), message("b")
    update = message("c", msg_type="Update", references=[first, second])
    with pytest.raises(LimitExceededError) as raised:
        SMALL.check([cap(update)])
    assert raised.value.limit == "references"


def test_every_problem_is_reported_at_once() -> None:
    over = message(info=[info(areas=[area(11)], headline="h" * 301)])
    with pytest.raises(LimitExceededError) as raised:
        SMALL.check([cap(over)])
    assert {p.location for p in raised.value.problems} == {
        "info[0].headline",
        "info[0].area[0].polygon[0]",
    }


@pytest.mark.parametrize(
    ("brokers", "expected"), [(1, (1, 1)), (2, (2, 1)), (3, (3, 2)), (5, (3, 2))]
)
def test_replication_defaults_follow_the_cluster_up_to_three(
    brokers: int, expected: tuple[int, int]
) -> None:
    assert Durability().resolved(brokers) == expected
    assert Durability(replication_factor=2, min_insync_replicas=2).resolved(brokers) == (2, 2)
