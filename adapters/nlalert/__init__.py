"""The NL-Alert channel: the public NL-Alert feed in, the same feed shape (plus cell broadcast) out.

NL-Alert is the government's cell broadcast warning for life-threatening situations. Its public
feed (api.public-warning.app, behind actueel.nl-alert.nl) lists the current alerts; the hub reads
it whole, or one item at a time (see `parse` for the mapping, `text` for the text conventions), and
`poll.FeedPoller` can fetch it on an interval.

The view selects this channel's own alerts and, from any other channel, alerts that NL-Alert would
be used for: severity Extreme or Severe, urgency Immediate, with a polygon to broadcast to (a cell
broadcast needs an area; circles and codes alone cannot be sent). Whether an alert is public is the
hub's decision, not the view's.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from adapters.base import FREE_TEXT, PersonalData, Rendering
from adapters.nlalert.parse import CHANNEL, parse_feed
from adapters.nlalert.render import MEDIA_TYPE, render_alert
from adapters.nlalert.schema import Feed, FeedItem
from domain.commands import Instruction
from domain.model import Info, Severity, Urgency
from domain.state import AlertState

__all__ = ["NlAlertChannel", "channel"]

_LIFE_THREATENING = frozenset({Severity.EXTREME, Severity.SEVERE})


class NlAlertChannel:
    name: str = CHANNEL
    territory = "NL"  # a Dutch system: its view shows only alerts in the Netherlands
    media_types: tuple[str, ...] = (MEDIA_TYPE, "application/vnd.nlalert+json")
    # A warning to everyone in an area rarely names a person, but its free text is the partner's
    # to write (a suspect's description, a vehicle): that text is treated as personal, and so is
    # the verbatim copy kept as the `nlalert:message` parameter.
    personal_data = PersonalData(
        fields=(*FREE_TEXT, "info[].parameters[].value"),
        native=("message",),
    )

    def parse(self, body: bytes, media_type: str) -> list[Instruction]:
        return parse_feed(body)

    def json_schema(self) -> dict[str, Any]:
        """The body: the whole feed or one item (for the API's documentation)."""
        return TypeAdapter(Feed | FeedItem).json_schema()

    def selects(self, alert: AlertState) -> bool:
        if alert.origin.channel == CHANNEL or (alert.thread or "").startswith(f"{CHANNEL}:"):
            return True
        return any(_broadcastable(info) for info in alert.current.info)

    def render(self, alert: AlertState) -> Rendering:
        return render_alert(alert)


def _broadcastable(info: Info) -> bool:
    return (
        info.severity in _LIFE_THREATENING
        and info.urgency is Urgency.IMMEDIATE
        and any(area.polygons for area in info.areas)
    )


channel = NlAlertChannel()
