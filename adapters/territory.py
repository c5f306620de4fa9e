"""Views of one country's systems show only alerts that lie in that country.

A channel may say `territory = "NL"`: it is one of a country's own systems (NL-Alert, AMBER Alert
Nederland, Burgernet). Its `selects` rule says which kinds of alert belong in its view (severe,
immediate, a child missing...); it does not say where. Without a place check a US thunderstorm
warning would appear in the NL-Alert view as an "NL-Alert", with Dutch cell-broadcast pages. So
the composition root wraps each such channel in `InTerritory`, which adds the place rule: the
alert came in through one of the country's own channels, or its area lies in or touches the
country (by geometry or by one of the country's geocodes; the check itself is handed in).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from adapters.base import Channel, Rendering
from domain.commands import Instruction
from domain.state import AlertState

LiesIn = Callable[[AlertState], bool]


class InTerritory:
    """A channel whose view keeps to its territory; everything else is the channel's own."""

    def __init__(self, channel: Channel, lies_in: LiesIn, own_channels: frozenset[str]) -> None:
        self.channel, self.lies_in, self.own_channels = channel, lies_in, own_channels
        self.name: str = channel.name
        self.media_types: tuple[str, ...] = channel.media_types
        self.territory = territory_of(channel)

    def __getattr__(self, name: str) -> Any:
        """The optional parts of the contract (a JSON schema, ...) are the wrapped channel's."""
        return getattr(self.channel, name)

    def parse(self, body: bytes, media_type: str) -> Sequence[Instruction]:
        return self.channel.parse(body, media_type)

    def selects(self, alert: AlertState) -> bool:
        if not self.channel.selects(alert):
            return False
        return alert.origin.channel in self.own_channels or self.lies_in(alert)

    def render(self, alert: AlertState) -> Rendering:
        return self.channel.render(alert)


def territory_of(channel: Channel) -> str | None:
    """The country code a channel declares (`territory = "NL"`), or None for a channel of all."""
    territory = getattr(channel, "territory", None)
    return territory if isinstance(territory, str) else None


def keep_to_territories(
    channels: Mapping[str, Channel], lies_in: Mapping[str, LiesIn]
) -> dict[str, Channel]:
    """Each channel of a territory that `lies_in` knows, wrapped; every other channel as it is.

    A channel of a territory with no place check is left unwrapped (and the hub logs it).
    """
    wrapped: dict[str, Channel] = {}
    for name, channel in channels.items():
        territory = territory_of(channel)
        if territory is None or territory not in lies_in:
            wrapped[name] = channel
            continue
        own = frozenset(n for n, c in channels.items() if territory_of(c) == territory)
        wrapped[name] = InTerritory(channel, lies_in[territory], own)
    return wrapped
