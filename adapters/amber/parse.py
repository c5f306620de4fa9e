"""AMBER Alert feed JSON to canonical commands, purely.

A body is the whole feed (a JSON array: a snapshot, so alerts missing from it end) or one item (a
JSON object). Each item is one message of the alert its `AlertId` names (`thread="amber:<id>"`).

Identity. The feed names the alert (`AlertId`) and the moment (`Sent`), not the message, and an
Update never says which message it follows. CAP requires an Update or Cancel to reference an
earlier message, so the item that opens an alert (Type `Alert`) is the alert's root message,
`amber-<AlertId>`, and every Update and Cancel is `amber-<AlertId>-<Sent>` and references that
root. Parsing stays pure yet the reference is real: when the hub sees an Update before its Alert
(it started mid-alert), the Alert links as the original once it arrives, instead of leaving the
alert "awaiting" forever. The root's own `Sent` is unknown to an Update, so the reference carries
the Update's `Sent` (the latest the root can have been sent). The cost: an Alert-type item
re-published with a new `Sent` reuses the root identity with different content, which the hub
refuses as a conflict (a change after the first message is an Update in this feed, as in CAP).

Cancel means the child was found or the alert was withdrawn ("ingetrokken"); the feed does not say
which, so the text decides (`outcome_of`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from adapters.amber.schema import (
    CHANNEL,
    P_CIRCLE,
    P_CIRCLE_KM,
    P_KIND,
    P_LEVEL,
    P_SCOPE,
    P_SENT,
    SENDER,
    AmberArea,
    AmberItem,
    NativeCircle,
    circle_text,
    image_type,
    seconds_text,
)
from adapters.problems import Loc, dotted, problems_from
from adapters.strictjson import load_json as strict_load_json
from domain.commands import (
    Command,
    EndAlert,
    EndMissingAlerts,
    Instruction,
    Outcome,
    command_for,
)
from domain.errors import InvalidMessageError, Problem
from domain.model import (
    AlertMessage,
    Area,
    Category,
    Certainty,
    Circle,
    Info,
    MessageRef,
    MsgType,
    NamedValue,
    Resource,
    ResponseType,
    Scope,
    Severity,
    Status,
    Urgency,
)

MAX_BYTES = 8 * 1024 * 1024
MAX_PROBLEMS = 20
ROOT = "$"  # the location of whole-document errors
PHOTO = "Foto"  # resourceDesc of the item's photo (Message.Media.Image)
SENDER_NAME = "Politie - AMBER Alert Nederland"
LEVELS = {  # AlertLevel -> (CAP event, severity)
    "10": ("AMBER Alert", Severity.EXTREME),
    "5": ("Vermist Kind Alert", Severity.SEVERE),
}
CHILD_ABDUCTION = NamedValue(name="SAME", value="CAE")  # the SAME/EAS event code for AMBER
_FOUND = re.compile(
    r"\b(?:terug)?gevonden\b|\baangetroffen\b|\bis\s+(?:weer\s+)?terecht\b|\b(?:weer|veilig)\s+thuis\b",
    re.IGNORECASE,
)
_NEGATED = re.compile(r"\b(?:niet|geen)\s+(?:meer\s+|nog\s+)?$", re.IGNORECASE)


def parse_feed(body: bytes) -> list[Instruction]:
    """A whole feed (array: commands, then the snapshot's `EndMissingAlerts`) or one item."""
    document = load_json(body)
    if isinstance(document, dict):
        return [command_of(_validated(document, ()), "")]
    if not isinstance(document, list):
        raise InvalidMessageError(
            f"the body must be a JSON array (the feed) or object (one item), "
            f"not {type(document).__name__}",
            location=ROOT,
        )
    items = _validated_all(document)
    commands: list[Instruction] = [command_of(item, f"[{i}]") for i, item in enumerate(items)]
    present = frozenset(item.thread for item in items)
    return [*commands, EndMissingAlerts(channel=CHANNEL, present=present)]


def load_json(body: bytes) -> Any:
    return strict_load_json(body, root=ROOT, max_bytes=MAX_BYTES)


def _validated_all(document: list[Any]) -> list[AmberItem]:
    """Every item, or every item's problems (the first `MAX_PROBLEMS`: a reply stays small)."""
    problems: list[Problem] = []
    items: list[AmberItem] = []
    for index, data in enumerate(document):
        try:
            items.append(_validated(data, (index,)))
        except InvalidMessageError as exc:
            problems.extend(exc.problems)
    if len(problems) > MAX_PROBLEMS:
        more = Problem(ROOT, f"and {len(problems) - MAX_PROBLEMS} more problems")
        problems = [*problems[:MAX_PROBLEMS], more]
    if problems:
        raise InvalidMessageError(problems)
    return items


def _validated(data: object, prefix: Loc) -> AmberItem:
    if not isinstance(data, dict):
        where = dotted(prefix) or ROOT
        raise InvalidMessageError(
            f"an item must be a JSON object, not {type(data).__name__}", location=where
        )
    try:
        return AmberItem.model_validate(data)
    except ValidationError as exc:
        raise InvalidMessageError(problems_from(exc, _spelled(prefix))) from None


def _spelled(prefix: Loc) -> Callable[[Loc], str]:
    return lambda loc: dotted((*prefix, *loc))


def command_of(item: AmberItem, where: str) -> Command:
    """The command one item asks for: Alert issues, Update updates, Cancel ends."""
    message = message_of(item, where)
    if message.msg_type is MsgType.CANCEL:
        outcome, reason = outcome_of(item)
        return EndAlert(
            channel=CHANNEL, message=message, thread=item.thread, outcome=outcome, reason=reason
        )
    return command_for(CHANNEL, message, item.thread)


def outcome_of(item: AmberItem) -> tuple[Outcome, str]:
    """Found when the text says so ("gevonden", "teruggevonden", "aangetroffen", "is terecht",
    "weer/veilig thuis") and does not negate it ("nog niet gevonden"); otherwise withdrawn."""
    message = item.Message
    parts = (message.Title, message.Description, message.DescriptionExt) if message else ()
    text = "\n".join(part for part in parts if part)
    for found in _FOUND.finditer(text):
        if not _NEGATED.search(text[max(0, found.start() - 20) : found.start()]):
            return Outcome.FOUND, f"Cancel: the text says the child is found ({found.group(0)!r})"
    return Outcome.WITHDRAWN, "Cancel: the text does not say the child is found; withdrawn"


def root_identifier(alert_id: str) -> str:
    return f"amber-{alert_id}"


def identifier_of(item: AmberItem) -> str:
    root = root_identifier(item.AlertId)
    return root if item.Type == "Alert" else f"{root}-{item.Sent}"


def message_of(item: AmberItem, where: str) -> AlertMessage:
    """The canonical message of one item; the model's own checks are a last safety net."""
    try:
        return _message(item)
    except ValidationError as exc:
        raise InvalidMessageError(
            problems_from(exc, lambda loc: f"{where or ROOT} (as CAP: {dotted(loc)})")
        ) from None


def _message(item: AmberItem) -> AlertMessage:
    sent = item.sent
    references = []
    if item.Type != "Alert":
        root = root_identifier(item.AlertId)
        references = [MessageRef(sender=SENDER, identifier=root, sent=sent)]
    return AlertMessage(
        identifier=identifier_of(item),
        sender=SENDER,
        sent=sent,
        status=Status(item.State),
        msg_type=MsgType(item.Type),
        scope=Scope.PUBLIC,  # a public feed; the native Scope travels as a parameter
        references=references,
        incidents=[root_identifier(item.AlertId)],
        info=[_info(item)],
    )


def _info(item: AmberItem) -> Info:
    event, severity = LEVELS[item.AlertLevel]
    ended = item.Type == "Cancel"
    message = item.Message
    return Info(
        language="nl-NL",
        category=[Category.RESCUE],
        event=event,
        response_type=[ResponseType.ALL_CLEAR] if ended else [],
        urgency=Urgency.PAST if ended else Urgency.IMMEDIATE,
        severity=severity,
        certainty=Certainty.LIKELY,
        event_codes=[CHILD_ABDUCTION],
        sender_name=SENDER_NAME,
        headline=message.Title if message else None,
        description=message.Description if message else None,
        web=message.Readmore_URL if message else None,
        parameters=_parameters(item),
        resources=_resources(item),
        areas=_areas(item.Area),
    )


def _parameters(item: AmberItem) -> list[NamedValue]:
    area, message = item.Area, item.Message
    circle = area.circle if area else None
    values = {
        P_LEVEL: item.AlertLevel,
        P_SCOPE: item.Scope,
        P_KIND: message.DescriptionExt if message else None,
        P_CIRCLE_KM: area.CircleKM if area else None,
        P_SENT: item.Sent if item.Sent != seconds_text(item.sent) else None,
        P_CIRCLE: area.Circle if area and circle and area.Circle != _text(circle) else None,
    }
    return [NamedValue(name=name, value=value) for name, value in values.items() if value]


def _text(circle: NativeCircle) -> str:
    return circle_text(circle.lat, circle.lon, circle.radius_km)


def _resources(item: AmberItem) -> list[Resource]:
    media = item.Message.Media if item.Message else None
    if media is None or media.Image is None:
        return []
    return [Resource(description=PHOTO, mime_type=image_type(media.Image), uri=media.Image)]


def _areas(area: AmberArea | None) -> list[Area]:
    if area is None or (area.Description is None and area.Circle is None):
        return []
    circle = area.circle
    circles = [Circle(lat=circle.lat, lon=circle.lon, radius_km=circle.radius_km)] if circle else []
    return [Area(description=area.Description or "", circles=circles)]
