"""The CAP 1.2 channel: partners that already speak CAP publish through it unchanged.

Its view is every public alert of every channel, rendered as CAP 1.2 XML: the common language the
Dutch systems are measured against.
"""

from __future__ import annotations

from adapters.base import CONTACT_AND_LINKS, FREE_TEXT, PersonalData, Rendering
from adapters.cap.names import MEDIA_TYPES
from adapters.cap.parse import parse_cap
from adapters.cap.render import render_cap
from domain.commands import Command, command_for
from domain.errors import InvalidMessageError
from domain.state import AlertState

__all__ = ["CapChannel", "channel", "parse_cap", "render_cap"]


class CapChannel:
    name = "cap"
    media_types: tuple[str, ...] = MEDIA_TYPES
    # CAP is written by many partners: every free-text and link element where one may describe a
    # person is treated as personal; codes, times, areas and parameters are not.
    personal_data = PersonalData(
        fields=("note", *FREE_TEXT, *CONTACT_AND_LINKS),
        native=(
            "alert/note",
            "info/headline",
            "info/description",
            "info/instruction",
            "info/contact",
            "info/web",
            "info/resource/resourceDesc",
            "info/resource/uri",
            "info/resource/derefUri",
        ),
    )

    def parse(self, body: bytes, media_type: str) -> list[Command]:
        message = parse_cap(body)
        try:
            return [command_for(self.name, message)]
        except ValueError as exc:
            raise InvalidMessageError(str(exc), location="alert/msgType") from None

    def selects(self, alert: AlertState) -> bool:
        return True

    def render(self, alert: AlertState) -> Rendering:
        xml = render_cap(alert.current)
        return Rendering(native={"xml": xml}, body=xml.encode(), media_type=MEDIA_TYPES[0])


channel = CapChannel()
