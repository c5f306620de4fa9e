"""Channels are found through entry points; a broken plugin fails at start, naming itself."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from importlib.metadata import EntryPoint

import pytest

from adapters.base import ENTRY_POINT_GROUP, PersonalData, discover_channels
from domain.errors import ChannelLoadError


def ep(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


@pytest.fixture
def fake_plugins() -> Iterator[types.ModuleType]:
    """A module standing in for an installed plugin package."""
    module = types.ModuleType("fake_plugins")

    class Good:
        name, media_types = "good", ("application/json",)
        personal_data = PersonalData(fields=("info[].description",))

        def parse(self, body: bytes, media_type: str) -> list[object]:
            return []

        def selects(self, alert: object) -> bool:
            return True

        def render(self, alert: object) -> object:
            raise NotImplementedError

    module.Good = Good  # type: ignore[attr-defined]
    module.good = Good()  # type: ignore[attr-defined]
    module.half = types.SimpleNamespace(name="half", media_types=("a/b",))  # type: ignore[attr-defined]
    sys.modules["fake_plugins"] = module
    yield module
    del sys.modules["fake_plugins"]


def test_the_built_in_channels_are_plugins_like_any_other() -> None:
    """The hub has no list of channels: the four built-ins come from the entry-point group."""
    assert {"cap", "nlalert", "amber", "burgernet"} <= set(discover_channels())


def test_an_instance_or_a_class_can_be_registered(fake_plugins: types.ModuleType) -> None:
    found = discover_channels([ep("good", "fake_plugins:good")])
    assert found["good"] is fake_plugins.good
    built = discover_channels([ep("good", "fake_plugins:Good")])
    assert built["good"].name == "good"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (ep("missing", "no_such_package:channel"), "'missing'.*failed to load"),
        (ep("half", "fake_plugins:half"), "'half'.*does not provide"),
        (ep("other", "fake_plugins:good"), "calls itself 'good'"),
    ],
)
def test_a_broken_plugin_fails_at_start_naming_it(
    fake_plugins: types.ModuleType, entry: EntryPoint, message: str
) -> None:
    with pytest.raises(ChannelLoadError, match=message):
        discover_channels([entry])


def test_two_plugins_with_one_name_are_refused(fake_plugins: types.ModuleType) -> None:
    with pytest.raises(ChannelLoadError, match="two channel plugins"):
        discover_channels([ep("good", "fake_plugins:good"), ep("good", "fake_plugins:Good")])
