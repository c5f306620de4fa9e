"""The Burgernet channel: the actions feed of the police control rooms' Burgernet.

Burgernet posts its feed (`{"actions": [...]}`) or one action; each message of an action becomes
one canonical message of the alert `burgernet:<action id>` (see `parse.py` for identity and
lifecycle, `closing.py` for how a result message ends an action, `render.py` for the view). The
view also carries AMBER and Vermist Kind Alerts, which the police send through Burgernet.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter

from adapters.base import CONTACT_AND_LINKS, FREE_TEXT, PersonalData, Rendering
from adapters.burgernet.parse import parse_burgernet
from adapters.burgernet.render import render_action, selects
from adapters.burgernet.schema import Action, Feed
from domain.commands import Instruction
from domain.errors import UnsupportedMediaTypeError
from domain.state import AlertState

__all__ = ["BurgernetChannel", "channel"]

MEDIA_TYPE = "application/json"


class BurgernetChannel:
    name = "burgernet"
    territory = "NL"  # a Dutch system: its view shows only alerts in the Netherlands
    media_types: tuple[str, ...] = (MEDIA_TYPE,)
    # A missing person or a suspect is described in the message's title and body (name, age,
    # clothing, vehicle plate), and the response link leads to the same description.
    personal_data = PersonalData(
        fields=(*FREE_TEXT, *CONTACT_AND_LINKS),
        native=(
            "actions[].messages[].title",
            "actions[].messages[].body",
            "actions[].messages[].responseUrl",
        ),
    )

    def parse(self, body: bytes, media_type: str) -> list[Instruction]:
        if media_type not in self.media_types:
            raise UnsupportedMediaTypeError(
                f"the burgernet channel accepts {MEDIA_TYPE}; got {media_type or 'none'}",
                location="Content-Type",
            )
        return parse_burgernet(body)

    def json_schema(self) -> dict[str, Any]:
        """The body: the feed `{"actions": [...]}` or one action (for the API's documentation)."""
        return TypeAdapter(Feed | Action).json_schema()

    def selects(self, alert: AlertState) -> bool:
        return selects(alert)

    def render(self, alert: AlertState) -> Rendering:
        action, lost = render_action(alert)
        body = json.dumps(action, ensure_ascii=False).encode()
        return Rendering(native=action, body=body, media_type=MEDIA_TYPE, lost=lost)


channel = BurgernetChannel()
