"""BE-Alert, Belgium's public warning system, as an AlertHub channel plugin (an outside plugin).

It is found like the built-in channels, through the entry point `alerthub.channels`:
`bealert = "alerthub_bealert:channel"`; nothing in the hub names it. It reads the illustrative
BE-Alert partner feed item described in README.md (`parse.py` for the mapping, `schema.py` for the
checks) and renders any canonical alert in that shape (`render.py`).

The view selects BE-Alert's own alerts and, from any other channel, alerts that target a Belgian
municipality (a `BE-NIS` geocode): a Dutch alert near the border that names Belgian municipalities
belongs in the Belgian view. Whether an alert is public is the hub's decision, not the view's.
"""

from __future__ import annotations

from adapters.base import PersonalData, Rendering
from alerthub_bealert.parse import CHANNEL, parse_item
from alerthub_bealert.render import is_belgian, render_item
from alerthub_bealert.schema import MEDIA_TYPES
from domain.commands import Instruction
from domain.errors import UnsupportedMediaTypeError
from domain.state import AlertState

__all__ = ["BeAlertChannel", "channel"]


class BeAlertChannel:
    name: str = CHANNEL
    media_types: tuple[str, ...] = MEDIA_TYPES
    # A BE-Alert text may describe a suspect or a missing person; its link leads to the same text.
    personal_data = PersonalData(
        fields=("info[].headline", "info[].description", "info[].web"),
        native=("messages.<language>.title", "messages.<language>.body", "more_info"),
    )

    def parse(self, body: bytes, media_type: str) -> list[Instruction]:
        if media_type not in self.media_types:
            raise UnsupportedMediaTypeError(
                f"the {CHANNEL} channel accepts {', '.join(self.media_types)}; "
                f"got {media_type or 'none'}",
                location="Content-Type",
            )
        return list(parse_item(body))

    def selects(self, alert: AlertState) -> bool:
        if alert.origin.channel == CHANNEL or (alert.thread or "").startswith(f"{CHANNEL}:"):
            return True
        return is_belgian(alert)

    def render(self, alert: AlertState) -> Rendering:
        return render_item(alert)


channel = BeAlertChannel()
