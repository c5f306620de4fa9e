"""The channel contract and how channels are discovered.

A channel is an object with a `name`, the `media_types` it accepts, the `personal_data` its
messages may carry (which canonical fields the hub must store encrypted and can erase), and three
behaviours:
`parse` native bytes into canonical commands (or raise `InvalidMessageError` saying what and where),
`selects` the canonical alerts that belong in its view, and `render` one alert in its native shape.
Channels are found through the entry-point group `alerthub.channels`; the built-in ones are
registered there exactly like an outside plugin, so the hub has no list of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint
from typing import Any, Protocol, runtime_checkable

from adapters.plugins import Seam, load_plugins
from domain.commands import Instruction
from domain.errors import ChannelLoadError
from domain.personal import FIELDS, unknown_fields
from domain.state import AlertState

ENTRY_POINT_GROUP = "alerthub.channels"


@dataclass(frozen=True)
class Rendering:
    """An alert in a channel's native shape.

    `native` is what the channel's view shows (JSON); `body` is the same alert in the channel's
    wire form, which `parse(body, media_type)` accepts, so every rendering can be round-tripped;
    `lost` names the canonical fields the native shape could not carry.
    """

    native: Mapping[str, Any]
    body: bytes
    media_type: str
    lost: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class PersonalData:
    """Where a channel's messages may hold personal data (part of the channel contract).

    `fields` are canonical field patterns from `domain.personal.FIELDS`: the hub stores them only
    encrypted under the alert's key and erases them by destroying it. `native` names the parts of
    the channel's own format they come from, for the people who read the declaration (the docs,
    a privacy officer); the hub never reads the native form back from storage.
    """

    fields: tuple[str, ...]
    native: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if unknown := unknown_fields(self.fields):
            raise ValueError(f"not personal-data fields of the canonical model: {unknown}")


FREE_TEXT = ("info[].headline", "info[].description", "info[].instruction")
"""The texts of a message: where a partner describes a person."""
CONTACT_AND_LINKS = (
    "info[].contact",
    "info[].web",
    "info[].resources[].description",
    "info[].resources[].uri",
    "info[].resources[].deref_uri",
)
"""Phone numbers, links and attachments (a photo and its caption): personal when texts are."""

EVERY_FREE_TEXT = PersonalData(fields=tuple(sorted(FIELDS)))
"""What is sealed for a channel that is not installed: every field that may be personal."""


@runtime_checkable
class Channel(Protocol):
    """What every channel plugin provides."""

    name: str
    media_types: tuple[str, ...]
    personal_data: PersonalData

    def parse(self, body: bytes, media_type: str) -> Sequence[Instruction]:
        """Native bytes to canonical commands; raises only `InvalidMessageError`.

        A channel whose feed is a snapshot ends with `EndMissingAlerts` when the body is the
        complete feed (not a single item), so vanished items end.
        """
        ...

    def selects(self, alert: AlertState) -> bool:
        """Whether an alert belongs in this channel's view."""
        ...

    def render(self, alert: AlertState) -> Rendering:
        """The alert in this channel's native shape."""
        ...


def _contract_problem(obj: object) -> str | None:
    if not isinstance(obj, Channel):
        return "does not provide name, media_types, personal_data, parse, selects, render"
    if not isinstance(obj.personal_data, PersonalData):
        return "must declare personal_data as adapters.base.PersonalData"
    if not obj.media_types:
        return "accepts no media types"
    return None


CHANNELS = Seam(ENTRY_POINT_GROUP, "channel plugin", _contract_problem, ChannelLoadError)


def discover_channels(entry_points_: Iterable[EntryPoint] | None = None) -> dict[str, Channel]:
    """Every installed channel by name, loaded through the entry-point group."""
    return load_plugins(CHANNELS, entry_points_)


def media_type_of(content_type: str | None) -> str:
    """The bare, lower-cased media type of a Content-Type (`text/xml; charset=x` -> `text/xml`)."""
    return (content_type or "").split(";", 1)[0].strip().lower()
