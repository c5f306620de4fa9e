"""The NL-Alert classifier: category and event read from real-shaped texts, Safety when unsure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.nlalert.classify import classify
from domain.model import Category

TEXTS = [
    (
        "NL-Alert 14-03-2025 15:43: Grote brand bij een bedrijf in Tilburg. Er komt veel rook vrij."
        " Houd ramen en deuren gesloten. *** Large fire in Tilburg. Keep windows closed.",
        "fire",
        Category.FIRE,
        "Brand",
    ),
    (
        "NL-Alert 18-01-2018 11:00: Zeer zware windstoten in Zeeland. Code rood. Blijf binnen.",
        "weather",
        Category.MET,
        "Zwaar weer",
    ),
    (
        "NL-Alert 07-11-2023 13:37 Gifwolk na lekkage van ammoniak in de haven van Rotterdam.",
        "hazardous",
        Category.CBRNE,
        "Gevaarlijke stoffen",
    ),
    (
        "NL-Alert 15-07-2021 21:00: Hoogwater in de Maas. Er is kans op een overstroming.",
        "water",
        Category.MET,
        "Overstroming",
    ),
    (
        "NL-Alert 27-05-2017 14:00: Het is te druk in het centrum. Ga niet naar de Dam.",
        "public_order",
        Category.SECURITY,
        "Openbare orde",
    ),
    (
        "NL-Alert 22-03-2020 20:00: Het coronavirus verspreidt zich. Blijf thuis.",
        "health",
        Category.HEALTH,
        "Gezondheid",
    ),
]


@pytest.mark.parametrize(("text", "kind", "category", "event"), TEXTS)
def test_real_shaped_texts(text: str, kind: str, category: Category, event: str) -> None:
    found = classify(text)
    assert found.kind == kind
    assert found.category is category
    assert found.event("nl-NL") == event
    assert found.recorded.startswith(f"{kind}: ")


def test_unsure_falls_back_to_safety() -> None:
    """No kind, or a tie between kinds, is not a guess: Safety and event NL-Alert."""
    for text in ("Er is een incident. Volg de aanwijzingen op.", "Brand en storm in Zwolle."):
        found = classify(text)
        assert found.kind is None
        assert found.category is Category.SAFETY
        assert (found.event("nl-NL"), found.event("en-US")) == ("NL-Alert", "NL-Alert")
        assert found.recorded.startswith("none")


def test_a_test_is_a_test_whatever_it_says() -> None:
    found = classify("TESTBERICHT. Brand en rook.", test=True)
    assert (found.kind, found.category, found.event("en-US")) == (
        "test",
        Category.OTHER,
        "Test message",
    )


def test_words_are_matched_at_their_start_only() -> None:
    """'afbranden' or 'verbrandingsoven' are no fire; 'brandweer' and 'brand' are."""
    assert classify("De oogst is verbrandt door de afbranden.").kind is None
    assert classify("De brandweer is ter plaatse.").kind == "fire"


@given(st.text(max_size=400))
def test_any_text_is_classified_without_error(text: str) -> None:
    found = classify(text)
    assert found.category in set(Category)
    assert found.event("nl-NL")
