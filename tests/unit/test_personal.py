"""Personal-field patterns over canonical messages: located, marked, erased, restored."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings

from adapters.base import PersonalData
from domain.model import AlertMessage
from domain.personal import (
    ERASED,
    FIELDS,
    SEALED,
    erased,
    locate,
    marked,
    parse_path,
    path_text,
    read,
    replaced,
)
from tests.strategies import alert_messages


def message() -> dict[str, Any]:
    return {
        "note": "called by Jan",
        "info": [
            {
                "headline": "Jan missing",
                "web": "https://example.org/jan",
                "parameters": [{"name": "a", "value": "x"}, {"name": "b", "value": "y"}],
                "resources": [{"description": "photo", "mime_type": "image/jpeg", "uri": "u"}],
            },
            {"description": "second block"},
        ],
    }


def test_patterns_find_every_leaf_with_a_value() -> None:
    found = locate(message(), ["info[].headline", "info[].description", "note", "info[].web"])
    assert found == [
        ("info", 1, "description"),  # block 0 has none: nothing to seal there
        ("info", 0, "headline"),
        ("info", 0, "web"),
        ("note",),
    ]


def test_list_items_are_matched_one_by_one() -> None:
    found = locate(message(), ["info[].parameters[].value"])
    assert [read(message(), p) for p in found] == ["x", "y"]


def test_marking_leaves_links_out_and_keeps_the_rest() -> None:
    original = message()
    paths = locate(original, ["info[].headline", "info[].web", "info[].resources[].uri"])
    sealed = marked(original, paths, SEALED)
    assert sealed["info"][0]["headline"] == SEALED
    assert "web" not in sealed["info"][0]
    assert "uri" not in sealed["info"][0]["resources"][0]
    assert sealed["info"][0]["resources"][0]["mime_type"] == "image/jpeg"
    assert original == message()  # a copy, the original untouched
    restored = replaced(sealed, [(p, read(original, p)) for p in paths])
    assert restored == original


def test_paths_survive_their_text_form() -> None:
    for path in locate(message(), FIELDS):
        assert parse_path(path_text(path)) == path


def test_a_declaration_names_only_known_fields() -> None:
    with pytest.raises(ValueError, match=re.escape("info[].event")):
        PersonalData(fields=("info[].event",))


@settings(max_examples=60, deadline=None)
@given(alert_messages())
def test_any_message_erased_in_every_field_is_still_a_valid_message(msg: AlertMessage) -> None:
    """The markers are valid CAP text: an erased message validates, and no declared leaf
    keeps its value."""
    gone = erased(msg.to_json(), FIELDS)
    AlertMessage.model_validate(gone)
    assert all(read(gone, p) == ERASED for p in locate(gone, FIELDS))
