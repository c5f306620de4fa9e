"""The reference alert every channel is measured with, and how it is folded like the hub folds it.

The reference fills every canonical field with a plausible value (a large fire in Amsterdam's
Westpoort): an Alert and an Update that references it, in Dutch and English, one resource, one area
with a polygon, a circle, two geocodes, altitude and ceiling, and a placeholder XML-DSig signature.
`restriction` stays empty: CAP uses it only with scope Restricted, and a public warning is Public.

A value a format always writes (Burgernet's urgency Immediate, NL-Alert's language nl-NL) would
come back equal by chance, so every measurement also sends a contrast: the same alert with other
status, language tags, category, response type, urgency, severity and certainty. A field counts as
carried only when both come back.

Views may refuse it (`Channel.selects`), so `VARIANTS` lists the few ways to present the same
content that the built-in views select: with a child-abduction event code (AMBER), arriving
through the `amber` channel (Burgernet's view of AMBER alerts), or through the channel itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from domain.commands import Instruction, command_for
from domain.inbox import Inbox
from domain.model import AlertMessage, MessageRef
from domain.state import AlertState

NOW = datetime(2030, 1, 1, tzinfo=UTC)  # after the reference, so snapshot endings come later
SENT = datetime(2025, 6, 2, 14, 0, tzinfo=timezone(timedelta(hours=2)))
SENDER = "meldkamer@vr13.example.nl"
CHILD_ABDUCTION = {"name": "SAME", "value": "CAE"}  # the SAME/EAS code the AMBER views select


@dataclass(frozen=True)
class Variant:
    """One way to present the reference so that a channel's view selects it."""

    name: str
    origin: str | None  # the channel it arrives through; None: the channel being measured
    child_alert: bool


@dataclass(frozen=True)
class Flavour:
    """What sets one copy of the reference apart: the AMBER event code, the contrast values."""

    child_alert: bool
    contrast: bool


VARIANTS = (
    Variant("reference", "cap", child_alert=False),
    Variant("child alert", "cap", child_alert=True),
    Variant("child alert via amber", "amber", child_alert=True),
    Variant("through the channel itself", None, child_alert=False),
)


def fold(instructions: Iterable[Instruction]) -> list[AlertState]:
    """Decide the instructions in a fresh in-memory hub; every alert's state, in order opened."""
    inbox = Inbox()
    inbox.apply_all(instructions, now=NOW)
    return [alert.state for alert in inbox.alerts.values()]


def reference_state(variant: Variant, channel: str, *, contrast: bool = False) -> AlertState:
    """The reference Alert and its Update as one alert, as `variant` presents it to `channel`."""
    origin = variant.origin or channel
    original, update = reference_messages(child_alert=variant.child_alert, contrast=contrast)
    (state,) = fold([command_for(origin, original), command_for(origin, update)])
    return state


def reference_messages(
    *, child_alert: bool = False, contrast: bool = False
) -> tuple[AlertMessage, AlertMessage]:
    """The original Alert and the Update that the alert shows (it references the original)."""
    flavour = Flavour(child_alert, contrast)
    original = _message("vr13-2025-0602-1", SENT, "Alert", [], flavour)
    later = SENT + timedelta(minutes=20)
    update = _message("vr13-2025-0602-2", later, "Update", [original.ref], flavour)
    return original, update


CONTRAST = {
    "category": ["Safety"],
    "response_type": ["Evacuate"],
    "urgency": "Expected",
    "severity": "Severe",
    "certainty": "Likely",
}
CONTRAST_LANGUAGES = {"nl-NL": "nl-BE", "en-US": "en-GB"}


def _message(
    identifier: str, sent: datetime, msg_type: str, refs: list[MessageRef], flavour: Flavour
) -> AlertMessage:
    return AlertMessage.model_validate(
        {
            "identifier": identifier,
            "sender": SENDER,
            "sent": sent,
            "status": "Exercise" if flavour.contrast else "Actual",
            "msg_type": msg_type,
            "source": "Meldkamer Amsterdam-Amstelland (fidelity reference)",
            "scope": "Public",
            "addresses": "crisis@gemeente.example.nl",
            "codes": ["profile:NL-CAP:1.0"],
            "note": "Reference alert of the fidelity report; not a real incident.",
            "references": refs,
            "incidents": ["vr13-incident-2025-0602"],
            "info": [_info(language, sent, flavour) for language in TEXTS],
            "signature": '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"></Signature>',
        }
    )


TEXTS = {  # event, audience, headline, description, instruction, contact, resource description
    "nl-NL": (
        "Grote brand",
        "Bewoners en bedrijven in Westpoort",
        "Grote brand in Westpoort: houd ramen en deuren gesloten",
        "Bij een bedrijf in Westpoort woedt een grote brand. Er komt veel rook vrij.",
        "Ga naar binnen, sluit ramen en deuren en zet de ventilatie uit.",
        "Gemeente Amsterdam, telefoon 14 020",
        "Kaart van het getroffen gebied",
    ),
    "en-US": (
        "Major fire",
        "Residents and businesses in Westpoort",
        "Major fire in Westpoort: keep windows and doors closed",
        "A major fire is burning at a company in Westpoort. It produces a lot of smoke.",
        "Go indoors, close windows and doors and switch off ventilation.",
        "City of Amsterdam, phone 14 020",
        "Map of the affected area",
    ),
}
_RING = [[52.4121, 4.7702], [52.4258, 4.8351], [52.3949, 4.8553], [52.3862, 4.7897]]
AREA = {
    "description": "Westpoort, Amsterdam",
    "polygons": [[*_RING, _RING[0]]],
    "circles": [{"lat": 52.40612, "lon": 4.81537, "radius_km": 2.5}],
    "geocodes": [{"name": "CBS-GM", "value": "GM0363"}, {"name": "CBS-VR", "value": "VR13"}],
    "altitude": 0.0,
    "ceiling": 1500.0,
    # As the authority wrote them: trailing zeros a float would drop.
    "written_polygons": [
        "52.41210,4.77020 52.42580,4.83510 52.39490,4.85530 52.38620,4.78970 52.41210,4.77020"
    ],
    "written_circles": ["52.40612,4.81537 2.50"],
    "written_altitude": "0.0",
    "written_ceiling": "1500.0",
}


def _info(language: str, sent: datetime, flavour: Flavour) -> dict[str, Any]:
    event, audience, headline, description, instruction, contact, map_ = TEXTS[language]
    codes = [{"name": "profile:NL-EVENT", "value": "brand"}]
    contrast = CONTRAST if flavour.contrast else {}
    return {
        "language": CONTRAST_LANGUAGES[language] if flavour.contrast else language,
        "category": ["Fire", "Env"],
        "event": event,
        "response_type": ["Shelter", "Monitor"],
        "urgency": "Immediate",
        "severity": "Extreme",
        "certainty": "Observed",
        "audience": audience,
        "event_codes": [*codes, CHILD_ABDUCTION] if flavour.child_alert else codes,
        "effective": sent,
        "onset": sent - timedelta(minutes=25),
        "expires": sent + timedelta(hours=6),
        "sender_name": "Veiligheidsregio Amsterdam-Amstelland",
        "headline": headline,
        "description": description,
        "instruction": instruction,
        "web": "https://www.vr-aa.example.nl/brand-westpoort",
        "contact": contact,
        "parameters": [{"name": "windDirection", "value": "SW"}],
        "resources": [
            {
                "description": map_,
                "mime_type": "image/png",
                "size": 48213,
                "uri": "https://www.vr-aa.example.nl/kaart-westpoort.png",
                "deref_uri": "iVBORw0KGgo=",
                "digest": "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
            }
        ],
        "areas": [AREA],
    } | contrast
