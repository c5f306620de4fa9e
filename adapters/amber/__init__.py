"""The `amber` channel: AMBER Alert Nederland and Vermist Kind Alert, as the police publish them
through Burgernet (the "Landactiehost" JSON feed).

Its view holds the amber alerts and every child-abduction or missing-child alert of another
channel (a CAP event code SAME=CAE, a Burgernet action flagged `amberAlert`), so one feed shows
them all in the shape AMBER consumers already read.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from adapters.amber.parse import CHILD_ABDUCTION, parse_feed
from adapters.amber.render import render_amber
from adapters.amber.schema import CHANNEL, MEDIA_TYPE, AmberItem
from adapters.base import CONTACT_AND_LINKS, FREE_TEXT, PersonalData, Rendering
from domain.commands import Instruction
from domain.model import Info
from domain.state import AlertState

__all__ = ["AmberChannel", "channel", "parse_feed", "render_amber"]

BURGERNET_AMBER = "burgernet:amberAlert"  # the Burgernet channel's flag, carried as a parameter


class AmberChannel:
    name: str = CHANNEL
    territory = "NL"  # a Dutch system: its view shows only alerts in the Netherlands
    media_types: tuple[str, ...] = (MEDIA_TYPE,)
    # The missing child: name, age and looks in title and description, a photo, a link to the
    # same description; the contact is the investigating team's phone number.
    personal_data = PersonalData(
        fields=(*FREE_TEXT, *CONTACT_AND_LINKS),
        native=(
            "Message.Title",
            "Message.Description",
            "Message.Readmore_URL",
            "Message.Media.Image",
        ),
    )

    def parse(self, body: bytes, media_type: str) -> list[Instruction]:
        return parse_feed(body)

    def json_schema(self) -> dict[str, Any]:
        """The body: the whole feed (an array of items) or one item (for the API docs)."""
        return TypeAdapter(list[AmberItem] | AmberItem).json_schema()

    def selects(self, alert: AlertState) -> bool:
        if CHANNEL in alert.channels or (alert.thread or "").startswith(f"{CHANNEL}:"):
            return True
        return any(is_child_alert(info) for info in alert.current.info)

    def render(self, alert: AlertState) -> Rendering:
        return render_amber(alert)


def is_child_alert(info: Info) -> bool:
    """A child abduction or missing child, whichever channel said so."""
    flagged = (info.parameter(BURGERNET_AMBER) or "").lower() == "true"
    return flagged or CHILD_ABDUCTION in info.event_codes


channel = AmberChannel()
