"""A BE-Alert feed item to canonical commands, purely (no clock, no I/O).

Mapping (one item = one message of the alert `bealert:<alert_id>`):

* identifier `bealert-<alert_id>-r<revision>`, sender `be-alert.be`, sent = `issued_at`. The
  partner names each message by its revision, as CAP senders name theirs: posting the same item
  twice is a duplicate, and a changed text must come as a new revision.
* msgType: revision 1 is the Alert; later revisions are Updates, or a Cancel when `status` is
  `ended` (the alert ends, outcome resolved). Updates and Cancels reference revision 1, sent at
  `created_at`, so the hub links them even when it starts mid-alert.
* status `test` is CAP Test (BE-Alert tests every first Thursday of the month); otherwise Actual.
  Scope Public.
* One info block per language, in the order nl-BE, fr-BE, de-BE, en-US: headline = title,
  description = body; category Safety, event BE-Alert, urgency Immediate (Past once ended, with
  response AllClear), severity Severe, certainty Observed; sender_name = authority, web =
  more_info, expires = expires_at. Every block carries the same area: description = area name,
  the polygon, and each municipality as geocode `BE-NIS` (5-digit NIS code).
* `channels` (sms, voice, ...) has no CAP element: it travels as parameter `bealert:channels`
  (space-separated, in the item's order) so rendering restores it.
"""

from __future__ import annotations

from typing import Any

from adapters.problems import Loc, dotted, validated
from alerthub_bealert.schema import LANGUAGES, AlertItem, LanguageMessage, load_json
from domain.commands import Command, EndAlert, Outcome, command_for
from domain.errors import InvalidMessageError
from domain.model import AlertMessage

CHANNEL = "bealert"
SENDER = "be-alert.be"
NIS = "BE-NIS"  # the geocode valueName of a Belgian municipality (NIS code, 5 digits)
P_CHANNELS = f"{CHANNEL}:channels"
TAGS = {"nl": "nl-BE", "fr": "fr-BE", "de": "de-BE", "en": "en-US"}
ENDED = "BE-Alert: the authority ended the alert"


def parse_item(body: bytes) -> list[Command]:
    """One feed item as its command; raises only `InvalidMessageError`."""
    data = load_json(body)
    if not isinstance(data, dict):
        raise InvalidMessageError(
            "the body must be one BE-Alert item (a JSON object)", location="$"
        )
    return [command_of(validated(AlertItem, data, _located))]


def identifier(alert_id: str, revision: int) -> str:
    return f"bealert-{alert_id}-r{revision}"


def command_of(item: AlertItem) -> Command:
    message = message_of(item)
    if item.status == "ended":
        return EndAlert(
            channel=CHANNEL,
            message=message,
            thread=item.thread,
            outcome=Outcome.RESOLVED,
            reason=ENDED,
        )
    return command_for(CHANNEL, message, item.thread)


def message_of(item: AlertItem) -> AlertMessage:
    """The canonical message; the model's own checks are a last net, located in native terms."""
    first = {"sender": SENDER, "identifier": identifier(item.alert_id, 1), "sent": item.created_at}
    data = {
        "identifier": identifier(item.alert_id, item.revision),
        "sender": SENDER,
        "sent": item.issued_at,
        "status": "Test" if item.status == "test" else "Actual",
        "msg_type": _msg_type(item),
        "scope": "Public",
        "references": [first] if item.revision > 1 else [],
        "incidents": [item.thread],
        "info": [
            _info(item, language, text)
            for language in LANGUAGES
            if (text := getattr(item.messages, language)) is not None
        ],
    }
    return validated(AlertMessage, data, _spelled)


def _located(loc: Loc) -> str:
    """`area.municipalities[0]`; `$` for a rule about the whole item (revision vs status)."""
    return dotted(loc) or "$"


def _spelled(loc: Loc) -> str:
    return f"$ (as CAP: {dotted(loc)})"


def _msg_type(item: AlertItem) -> str:
    if item.status == "ended":
        return "Cancel"
    return "Alert" if item.revision == 1 else "Update"


def _info(item: AlertItem, language: str, text: LanguageMessage) -> dict[str, Any]:
    ended = item.status == "ended"
    channels = [{"name": P_CHANNELS, "value": " ".join(item.channels)}] if item.channels else []
    area = item.area
    return {
        "language": TAGS[language],
        "category": ["Safety"],
        "event": "BE-Alert",
        "response_type": ["AllClear"] if ended else [],
        "urgency": "Past" if ended else "Immediate",
        "severity": "Severe",
        "certainty": "Observed",
        "expires": item.expires_at,
        "sender_name": item.authority,
        "headline": text.title,
        "description": text.body,
        "web": item.more_info,
        "parameters": channels,
        "areas": [
            {
                "description": area.name,
                "polygons": [area.polygon] if area.polygon else [],
                "geocodes": [{"name": NIS, "value": code} for code in area.municipalities],
            }
        ],
    }
