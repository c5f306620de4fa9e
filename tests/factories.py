"""Canonical messages and commands for tests, built the way a channel would build them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.commands import Command, command_for
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
