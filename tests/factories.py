"""Canonical messages and commands for tests, built the way a channel would build them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from domain.alert import Alert
from domain.commands import Command, EndAlert, Outcome, command_for
from domain.model import AlertMessage

T0 = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


def info(**overrides: Any) -> dict[str, Any]:
    return {
        "language": "nl-NL",
        "category": ["Fire"],
        "event": "Brand",
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Observed",
        "headline": "Grote brand in Tolbert",
        "areas": [
            {
                "description": "Tolbert",
                "polygons": [[[53.16, 6.35], [53.17, 6.37], [53.15, 6.38], [53.16, 6.35]]],
                "geocodes": [{"name": "CBS-GM", "value": "GM0086"}],
            }
        ],
    } | overrides


def message(
    identifier: str = "m1",
    *,
    msg_type: str = "Alert",
    sent: datetime = T0,
    references: list[AlertMessage] | None = None,
    **overrides: Any,
) -> AlertMessage:
    data: dict[str, Any] = {
        "identifier": identifier,
        "sender": "vr01@example.nl",
        "sent": sent,
        "status": "Actual",
        "msg_type": msg_type,
        "scope": "Public",
        "references": [r.ref for r in references or []],
        "info": [info()],
    }
    return AlertMessage.model_validate(data | overrides)


def later(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def cap(msg: AlertMessage, thread: str | None = None) -> Command:
    return command_for("cap", msg, thread)


def variant(msg: AlertMessage, **changes: Any) -> AlertMessage:
    """The same content under another identity, type or time, validated like any message."""
    return AlertMessage.model_validate(msg.model_dump() | changes)


def later_than(msg: AlertMessage) -> datetime:
    return msg.sent + timedelta(minutes=5)


def alert_with_every_event_type(
    first: AlertMessage, second: AlertMessage, thread: str | None
) -> Alert:
    """One alert whose history holds every event type, content taken from `first` and `second`.

    An Update arrives before its original (AlertIssued), the original follows (OriginalLinked),
    then newer content (AlertUpdated), older content (MessageRecorded), a Cancel (AlertEnded)
    and an erasure (PersonalDataErased, carried as an AlertUpdated branch with `erasure` set).
    Its events are still pending: save the alert, or collect them.
    """
    update = variant(
        first, identifier="upd#1", msg_type="Update", references=[first.ref], sent=later_than(first)
    )
    alert = Alert.start(uuid4(), cap(update, thread))
    alert.receive(cap(first))
    alert.receive(cap(variant(second, identifier="new#1", sent=later_than(update))))
    alert.receive(cap(variant(second, identifier="old#1", sent=first.sent - timedelta(hours=1))))
    cancel = variant(first, identifier="end#1", msg_type="Cancel", references=[first.ref])
    outcome = Outcome.FOUND if thread else Outcome.CANCELLED
    alert.receive(EndAlert(channel="cap", message=cancel, outcome=outcome, reason=thread))
    alert.erase_personal_data(by="admin", reason="test", fields=["info[].description", "note"])
    return alert


def every_event_type(first: AlertMessage, second: AlertMessage, thread: str | None) -> list[Any]:
    """The events of `alert_with_every_event_type`."""
    return list(alert_with_every_event_type(first, second, thread).collect_events())


def cap_xml(
    identifier: str,
    *,
    status: str = "Actual",
    scope: str = "Public",
    headline: str = "Grote brand, sluit ramen en deuren",
    severity: str = "Severe",
    sent: datetime | None = None,
    expires: datetime | None = None,
) -> bytes:
    """A CAP 1.2 document with a polygon and a circle in the Netherlands, for tests over HTTP."""
    sent = sent or datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    expires = expires or sent + timedelta(days=1)
    restriction = "<restriction>hulpdiensten</restriction>" if scope == "Restricted" else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier>
  <sender>veiligheidsregio@example.nl</sender>
  <sent>{sent.isoformat()}</sent>
  <status>{status}</status>
  <msgType>Alert</msgType>
  <scope>{scope}</scope>{restriction}
  <info>
    <language>nl-NL</language>
    <category>Fire</category>
    <event>Brand</event>
    <urgency>Immediate</urgency>
    <severity>{severity}</severity>
    <certainty>Observed</certainty>
    <expires>{expires.isoformat()}</expires>
    <headline>{headline}</headline>
    <description>Er is een grote brand met veel rook.</description>
    <instruction>Sluit ramen en deuren, zet ventilatie uit.</instruction>
    <area>
      <areaDesc>Rotterdam-Zuid</areaDesc>
      <polygon>51.88,4.45 51.88,4.55 51.92,4.55 51.92,4.45 51.88,4.45</polygon>
      <circle>51.9,4.5 2.5</circle>
    </area>
  </info>
  <info>
    <language>en-GB</language>
    <category>Fire</category>
    <event>Fire</event>
    <urgency>Immediate</urgency>
    <severity>{severity}</severity>
    <certainty>Observed</certainty>
    <expires>{expires.isoformat()}</expires>
    <headline>Large fire, close windows and doors</headline>
    <description>There is a large fire with a lot of smoke.</description>
    <instruction>Close windows and doors, turn off ventilation.</instruction>
    <area>
      <areaDesc>Rotterdam South</areaDesc>
      <circle>51.9,4.5 2.5</circle>
    </area>
  </info>
</alert>
""".encode()


AMBER_SENT = 1757851500  # examples/messages/amber/01: AMBER Alert for Noor Voorbeeld, Zwolle


def burgernet_action(
    action_id: int, title: str, body: str, *, amber: bool, minutes_after_amber: int = 10
) -> bytes:
    """A Burgernet action in Zwolle (native JSON), timed relative to the AMBER example."""
    at = AMBER_SENT + 60 * minutes_after_amber
    return json.dumps(
        {
            "id": action_id,
            "municipality": "Zwolle",
            "actionType": "Vermissing" if amber else "Woninginbraak",
            "amberAlert": amber,
            "active": True,
            "startTimestamp": at,
            "endTimestamp": None,
            "area": {"lat": 52.5125, "lng": 6.0944, "radius": 3000},
            "messages": [
                {
                    "title": title,
                    "body": body,
                    "responseUrl": f"https://www.burgernet.nl/acties/{action_id}",
                    "messageType": "START",
                    "lastModifiedTimestamp": at,
                    "speechId": None,
                }
            ],
        }
    ).encode()
